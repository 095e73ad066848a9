// Stand-ins for what the construct packages: small generated function zips, extension executables and
// Tailscale tarballs (with their SHA-256), in a fresh temporary folder per test file.
import { execFileSync, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';

export const ARCHES = ['arm64', 'x86_64'] as const;
export type TestArch = (typeof ARCHES)[number];
export const GOARCH: Record<TestArch, string> = { arm64: 'arm64', x86_64: 'amd64' };

/** The package's root (tests are compiled next to their sources). */
export const PACKAGE_DIR = path.resolve(__dirname, '..');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tsproxy-cdk-${prefix}-`));
}

export function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export interface TarballOptions {
  readonly version?: string;
  /** Files of the release folder to leave out. */
  readonly omit?: string[];
  /** Every entry's modification time (seconds since 1970): the same options give the same tarball bytes. */
  readonly mtime?: number;
  /** Contents of `tailscale` and `tailscaled` instead of the stand-in scripts. */
  readonly binaries?: { tailscale: Buffer; tailscaled: Buffer };
}

/** A tar.gz shaped like Tailscale's: `tailscale_<version>_<goarch>/{tailscale,tailscaled,README}`. */
export function makeTailscaleTarball(dir: string, arch: TestArch, options: TarballOptions = {}): { path: string; sha256: string } {
  const folder = `tailscale_${options.version ?? '1.104.1'}_${GOARCH[arch]}`;
  const stage = fs.mkdtempSync(path.join(dir, 'stage-'));
  fs.mkdirSync(path.join(stage, folder));
  const files: Record<string, string | Buffer> = {
    tailscale: options.binaries?.tailscale ?? `#!/bin/sh\necho stand-in tailscale ${arch}\n`,
    tailscaled: options.binaries?.tailscaled ?? `#!/bin/sh\necho stand-in tailscaled ${arch}\n`,
    README: 'stand-in\n',
  };
  for (const [name, data] of Object.entries(files)) {
    if (options.omit?.includes(name)) continue;
    const file = path.join(stage, folder, name);
    fs.writeFileSync(file, data);
    fs.chmodSync(file, name === 'README' ? 0o644 : 0o755);
  }
  const out = path.join(dir, `${folder}.tgz`);
  // Fixed order, owners and times, so that a stand-in's SHA-256 (and every hash derived from it) is the
  // same from run to run.
  const reproducible = ['--sort=name', `--mtime=@${options.mtime ?? 0}`, '--owner=0', '--group=0', '--numeric-owner'];
  execFileSync('tar', [...reproducible, '-czf', out, '-C', stage, folder]);
  return { path: out, sha256: sha256(fs.readFileSync(out)) };
}

/** A 64-bit little-endian ELF header for AArch64 (all package_layer.cmake checks), then `body`. */
export function arm64Elf(body: Buffer): Buffer {
  const header = Buffer.alloc(64);
  Buffer.from('\x7fELF\x02\x01', 'latin1').copy(header);
  header[18] = 0xb7; // EM_AARCH64
  return Buffer.concat([header, body]);
}

export interface Fixture {
  readonly dir: string;
  readonly assetDir: string;
  readonly cacheDir: string;
  readonly functionZip: Record<TestArch, string>;
  readonly extension: Record<TestArch, string>;
  readonly tarball: Record<TestArch, { path: string; sha256: string }>;
}

/** Function zips and extension executables as assets/ holds them, and one tarball per architecture. */
export function makeFixture(name: string): Fixture {
  const dir = tempDir(name);
  const assetDir = path.join(dir, 'assets');
  const cacheDir = path.join(dir, 'cache');
  fs.mkdirSync(assetDir);
  const functionZip = {} as Record<TestArch, string>;
  const extension = {} as Record<TestArch, string>;
  const tarball = {} as Record<TestArch, { path: string; sha256: string }>;
  for (const arch of ARCHES) {
    const stage = path.join(dir, `function-${arch}`);
    fs.mkdirSync(stage);
    fs.writeFileSync(path.join(stage, 'bootstrap'), `#!/bin/sh\necho stand-in bootstrap ${arch}\n`, { mode: 0o755 });
    functionZip[arch] = path.join(assetDir, `tsproxy-function-${arch}.zip`);
    execFileSync('python3', [path.join(PACKAGE_DIR, '..', '..', 'toolchain', 'deterministic-zip'), functionZip[arch], stage]);
    extension[arch] = path.join(assetDir, `tsproxy-tailscale-${arch}`);
    fs.writeFileSync(extension[arch], `#!/bin/sh\necho stand-in extension ${arch}\n`, { mode: 0o755 });
    tarball[arch] = makeTailscaleTarball(dir, arch);
  }
  return { dir, assetDir, cacheDir, functionZip, extension, tarball };
}

/** Runs fn with the environment variables set (undefined: unset), restoring them afterwards. */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The environment that points the construct's defaults at a fixture. */
export function fixtureEnv(f: Fixture): Record<string, string> {
  return {
    TSPROXY_CDK_ASSET_DIR: f.assetDir,
    TSPROXY_CDK_CACHE_DIR: f.cacheDir,
    TSPROXY_CDK_OFFLINE: '1',
    TSPROXY_CDK_TAILSCALE_TARBALL_ARM64: f.tarball.arm64.path,
    TSPROXY_CDK_TAILSCALE_SHA256_ARM64: f.tarball.arm64.sha256,
    TSPROXY_CDK_TAILSCALE_TARBALL_X86_64: f.tarball.x86_64.path,
    TSPROXY_CDK_TAILSCALE_SHA256_X86_64: f.tarball.x86_64.sha256,
  };
}

/** Entries of a zip as Python's zipfile reads them: name, mode, date_time, size, sha256; and testzip's verdict. */
export function readZipWithPython(file: string): { entries: { name: string; mode: number; date_time: number[]; size: number; sha256: string }[]; bad: string | null } {
  const script = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    entries = [{"name": i.filename, "mode": i.external_attr >> 16, "date_time": list(i.date_time),
                "size": i.file_size, "sha256": hashlib.sha256(z.read(i)).hexdigest()} for i in z.infolist()]
print(json.dumps({"entries": entries, "bad": bad}))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, file]).toString());
}

/**
 * Runs `fn` in a caller's project as a seed README lays it out (`lib/lambda/<entry>/index.ts` and a lock
 * file), the current folder while it runs, as `cdk synth` would.
 */
export function inCallerProject<T>(entry: string, fn: () => T): T {
  const project = tempDir(`${entry}-project`);
  fs.mkdirSync(path.join(project, 'lib', 'lambda', entry), { recursive: true });
  fs.writeFileSync(path.join(project, 'lib', 'lambda', entry, 'index.ts'), 'export const handler = async () => true;\n');
  fs.writeFileSync(path.join(project, 'package-lock.json'), '{"lockfileVersion": 3}\n');
  const cwd = process.cwd();
  process.chdir(project);
  try {
    return fn();
  } finally {
    process.chdir(cwd);
  }
}

/**
 * Starts test/file-server.js serving `file` at /<name> (and through a redirect at /redirect/<name>) until
 * the test `t` ends; resolves once it listens, with its base URL and its count of requests.
 */
export function serveFile(t: TestContext, file: string, name: string): Promise<{ base: string; hits: () => Promise<number> }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'file-server.js'), file, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill());
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => {
      const base = `http://127.0.0.1:${d.toString().trim()}`;
      resolve({ base, hits: async () => Number(await (await fetch(`${base}/hits`)).text()) });
    });
  });
}
