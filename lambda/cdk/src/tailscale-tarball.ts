// Finds the official Tailscale tarball for one architecture: a file the user named, else the cache,
// else a download into the cache when downloads are allowed. Whatever the source, the bytes are
// accepted only when their SHA-256 is the expected one.
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Arch, TAILSCALE_PINNED_VERSIONS, isSha256, pinnedSha256, tarballName } from './tailscale-release';

export interface TarballRequest {
  readonly arch: Arch;
  readonly version: string;
  /** Expected SHA-256 (hex); required when version is not pinned. */
  readonly sha256?: string;
  /** A tarball on disk to use instead of the cache or a download. */
  readonly tarballPath?: string;
  readonly cacheDir: string;
  readonly allowDownload: boolean;
  /** Why downloads are off, for the error message. */
  readonly offlineReason?: string;
  readonly downloadBaseUrl: string;
  readonly downloadTimeoutMs: number;
}

export interface ResolvedTarball {
  readonly data: Buffer;
  readonly sha256: string;
  /** Where the bytes came from: the user's file, the cache file, or the cache file just downloaded. */
  readonly source: 'path' | 'cache' | 'download';
  readonly path: string;
}

export function sha256Hex(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export function expectedSha256(arch: Arch, version: string, sha256: string | undefined): string {
  if (sha256 !== undefined) {
    const hex = sha256.trim().toLowerCase();
    if (!isSha256(hex)) throw new Error(`tsproxy-cdk: tailscale.sha256 '${sha256}' is not a SHA-256 in hex (64 characters)`);
    return hex;
  }
  const pinned = pinnedSha256(version, arch);
  if (pinned !== undefined) return pinned;
  throw new Error(
    `tsproxy-cdk: no SHA-256 is pinned for Tailscale ${version}; this package pins ${TAILSCALE_PINNED_VERSIONS.join(', ')}. ` +
      `An unverified download is never used: pass tailscale.sha256 (published as ${tarballName(version, arch)}.sha256 ` +
      'beside the tarball) together with tailscale.version.',
  );
}

/** The cache file of one tarball. */
export function cachedTarballPath(cacheDir: string, version: string, arch: Arch): string {
  return path.join(cacheDir, 'tailscale', tarballName(version, arch));
}

function mismatch(what: string, file: string, actual: string, expected: string): Error {
  return new Error(
    `tsproxy-cdk: ${what} ${file} has SHA-256 ${actual}, expected ${expected}; refusing to build the ` +
      'Tailscale layer from it',
  );
}

export function resolveTailscaleTarball(req: TarballRequest): ResolvedTarball {
  const expected = expectedSha256(req.arch, req.version, req.sha256);
  const name = tarballName(req.version, req.arch);

  if (req.tarballPath !== undefined) {
    if (!fs.existsSync(req.tarballPath)) {
      throw new Error(`tsproxy-cdk: tailscale.tarballPath ${req.tarballPath} does not exist`);
    }
    const data = fs.readFileSync(req.tarballPath);
    const actual = sha256Hex(data);
    if (actual !== expected) throw mismatch('tailscale.tarballPath', req.tarballPath, actual, expected);
    return { data, sha256: actual, source: 'path', path: req.tarballPath };
  }

  const cached = cachedTarballPath(req.cacheDir, req.version, req.arch);
  if (fs.existsSync(cached)) {
    const data = fs.readFileSync(cached);
    const actual = sha256Hex(data);
    // A download is checked before it enters the cache, so a mismatch here is a replaced file.
    if (actual !== expected) throw mismatch(`the cached tarball (delete it to download it again)`, cached, actual, expected);
    return { data, sha256: actual, source: 'cache', path: cached };
  }

  const url = `${req.downloadBaseUrl.replace(/\/+$/, '')}/${name}`;
  const remedy =
    `Download ${url} (SHA-256 ${expected}) on a machine that can, then pass its path as ` +
    `tailscale.tarballPath or copy it to ${cached}.`;
  if (!req.allowDownload) {
    throw new Error(
      `tsproxy-cdk: the Tailscale layer needs ${name}, which is not in the cache and downloads are off` +
        `${req.offlineReason ? ` (${req.offlineReason})` : ''}. ${remedy}`,
    );
  }

  fs.mkdirSync(path.dirname(cached), { recursive: true });
  const partial = `${cached}.${process.pid}.partial`;
  try {
    // CDK's local bundling is synchronous, so the download runs in a child Node.js process that we wait for.
    execFileSync(process.execPath, [path.join(__dirname, 'download-file.js'), url, partial, String(req.downloadTimeoutMs)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: req.downloadTimeoutMs + 5000,
    });
  } catch (e) {
    fs.rmSync(partial, { force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`tsproxy-cdk: could not download ${url}: ${stderr || (e as Error).message}. ${remedy}`);
  }
  const data = fs.readFileSync(partial);
  const actual = sha256Hex(data);
  if (actual !== expected) {
    fs.rmSync(partial, { force: true });
    throw mismatch('the download of', url, actual, expected);
  }
  fs.renameSync(partial, cached);
  return { data, sha256: actual, source: 'download', path: cached };
}
