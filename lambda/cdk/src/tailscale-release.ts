// The Tailscale release the extension layer is built from. Tailscale's binaries are not built here:
// the layer takes `tailscale` and `tailscaled` from the official static Linux tarball, checked
// against the SHA-256 pinned below before anything is read from it.

/** CPU architecture of a function and its layer, as Lambda names it (`Architecture.name`). */
export type Arch = 'arm64' | 'x86_64';

export const ARCHES: readonly Arch[] = ['arm64', 'x86_64'];

/** The Tailscale version the package is pinned to. */
export const TAILSCALE_VERSION = '1.104.1';

/**
 * SHA-256 of `tailscale_<version>_<amd64|arm64>.tgz` for TAILSCALE_VERSION, as published beside each
 * tarball on pkgs.tailscale.com (`<tarball>.sha256`).
 */
export const TAILSCALE_SHA256: Readonly<Record<Arch, string>> = {
  x86_64: '108d1d96ecf410d305571e173516f27038f870919a9b89c914a167c6d33a4528',
  arm64: 'f60294374967f3dfd8cf57bbbd474d6cfce32d123e3a8ddeab82a87940daa806',
};

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
