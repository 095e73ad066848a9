// The executables this package ships, one per architecture, built from tsproxy's sources by the
// lambda-<arch> CMake presets and copied into assets/ by scripts/assemble-assets.mjs.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Arch } from './tailscale-release';

/** The package's root folder (this file is compiled into lib/). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');

/** The package's version: the CMake project's, which the executables it ships also carry. */
export const PACKAGE_VERSION: string = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

/**
 * Folder of the function zips and extension executables: `TSPROXY_CDK_ASSET_DIR` (e.g. a build of one's
 * own), else the package's assets/.
 */
export function assetDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSPROXY_CDK_ASSET_DIR || path.join(PACKAGE_ROOT, 'assets');
}

export function packagedFunctionZip(arch: Arch): string {
  return path.join(assetDir(), `tsproxy-function-${arch}.zip`);
}

export function packagedExtensionExecutable(arch: Arch): string {
  return path.join(assetDir(), `tsproxy-tailscale-${arch}`);
}

/** `TSPROXY_CDK_TAILSCALE_TARBALL_<ARCH>` / `TSPROXY_CDK_TAILSCALE_SHA256_<ARCH>`: the props' defaults. */
export function tarballFromEnvironment(arch: Arch, env: NodeJS.ProcessEnv = process.env): { path?: string; sha256?: string } {
  const suffix = arch.toUpperCase();
  return {
    path: env[`TSPROXY_CDK_TAILSCALE_TARBALL_${suffix}`] || undefined,
    sha256: env[`TSPROXY_CDK_TAILSCALE_SHA256_${suffix}`] || undefined,
  };
}

/** Throws a message saying what is missing and how to get it. */
export function requireFile(file: string, what: string, remedy: string): string {
  if (!fs.existsSync(file)) throw new Error(`tsproxy-cdk: ${what} ${file} does not exist. ${remedy}`);
  return file;
}

/** `TSPROXY_CDK_CACHE_DIR`, else `$XDG_CACHE_HOME/tsproxy-cdk`, else `~/.cache/tsproxy-cdk`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TSPROXY_CDK_CACHE_DIR) return env.TSPROXY_CDK_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'tsproxy-cdk');
}

/** Downloads are on unless `TSPROXY_CDK_OFFLINE` is set to something other than 0/false. */
export function offlineByEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.TSPROXY_CDK_OFFLINE;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}
