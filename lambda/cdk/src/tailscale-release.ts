// The Tailscale release the extension layer is built from. Tailscale's binaries are not built here:
// the layer takes `tailscale` and `tailscaled` from the official static Linux tarball, checked against a
// SHA-256 pinned in the repository's toolchain/tailscale-pins (which fetch-tailscale and CMake read too)
// before anything is read from it. `npm run build` copies that table into the package.
import * as fs from 'fs';
import * as path from 'path';
import { PACKAGE_ROOT } from './package-assets';

/** CPU architecture of a function and its layer, as Lambda names it (`Architecture.name`). */
export type Arch = 'arm64' | 'x86_64';

export const ARCHES: readonly Arch[] = ['arm64', 'x86_64'];

/** The package's copy of toolchain/tailscale-pins. */
export const TAILSCALE_PINS_FILE = path.join(PACKAGE_ROOT, 'tailscale-pins');

export interface TailscalePins {
  /** The default version: the table's first. */
  readonly version: string;
  /** SHA-256 of `tailscale_<version>_<amd64|arm64>.tgz` by version, for both architectures. */
  readonly sha256: ReadonlyMap<string, Readonly<Record<Arch, string>>>;
}

/**
 * The table's rows, `<version> <amd64|arm64> <sha256>` (blank lines and `#` comments aside); `source`
 * names the file in errors. Every version must be pinned for both architectures.
 */
export function parseTailscalePins(text: string, source: string): TailscalePins {
  const rows = new Map<string, Partial<Record<Arch, string>>>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const m = /^(\d+\.\d+\.\d+) (amd64|arm64) ([0-9a-f]{64})$/.exec(line.trim());
    if (!m) throw new Error(`tsproxy-cdk: ${source}:${i + 1}: expected '<version> <amd64|arm64> <sha256>', got '${line}'`);
    const arch: Arch = m[2] === 'amd64' ? 'x86_64' : 'arm64';
    const row = rows.get(m[1]) ?? {};
    if (row[arch]) throw new Error(`tsproxy-cdk: ${source}:${i + 1}: ${m[1]} ${m[2]} is pinned twice`);
    rows.set(m[1], { ...row, [arch]: m[3] });
  });
  const sha256 = new Map<string, Record<Arch, string>>();
  for (const [version, row] of rows) {
    if (!row.arm64 || !row.x86_64) throw new Error(`tsproxy-cdk: ${source}: ${version} is not pinned for both amd64 and arm64`);
    sha256.set(version, { arm64: row.arm64, x86_64: row.x86_64 });
  }
  const version = rows.keys().next().value;
  if (version === undefined) throw new Error(`tsproxy-cdk: ${source} pins no Tailscale release`);
  return { version, sha256 };
}

function loadPins(): TailscalePins {
  if (!fs.existsSync(TAILSCALE_PINS_FILE)) {
    throw new Error(
      `tsproxy-cdk: ${TAILSCALE_PINS_FILE} does not exist. This copy of the package was built without it ` +
        '(`npm run build` copies it from toolchain/tailscale-pins).',
    );
  }
  return parseTailscalePins(fs.readFileSync(TAILSCALE_PINS_FILE, 'utf8'), TAILSCALE_PINS_FILE);
}

const PINS = loadPins();

/** The Tailscale version the package is pinned to. */
export const TAILSCALE_VERSION: string = PINS.version;

/**
 * SHA-256 of `tailscale_<version>_<amd64|arm64>.tgz` for TAILSCALE_VERSION, as published beside each
 * tarball on pkgs.tailscale.com (`<tarball>.sha256`).
 */
export const TAILSCALE_SHA256: Readonly<Record<Arch, string>> = PINS.sha256.get(TAILSCALE_VERSION)!;

/** Every pinned version, the default first. */
export const TAILSCALE_PINNED_VERSIONS: readonly string[] = [...PINS.sha256.keys()];

/** The pinned SHA-256 of a version's tarball, if the version is pinned. */
export function pinnedSha256(version: string, arch: Arch): string | undefined {
  return PINS.sha256.get(version)?.[arch];
}

/** Where official static tarballs are published. */
export const TAILSCALE_DOWNLOAD_BASE_URL = 'https://pkgs.tailscale.com/stable';

/** Go's architecture names, which Tailscale's tarballs use. */
export function goArch(arch: Arch): string {
  return arch === 'x86_64' ? 'amd64' : 'arm64';
}

export function tarballName(version: string, arch: Arch): string {
  return `tailscale_${version}_${goArch(arch)}.tgz`;
}

export function isSha256(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}
