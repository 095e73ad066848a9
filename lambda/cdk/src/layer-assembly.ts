// Builds the extension layer's zip: tsproxy's extension executable plus tailscale and tailscaled from
// the official tarball. Lambda unpacks a layer into /opt and starts every executable in
// /opt/extensions before the runtime.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { deterministicZip } from './deterministic-zip';
import { Arch, goArch } from './tailscale-release';
import { readTarGz } from './tar-reader';

/** Paths inside the layer (and so below /opt in the function's environment). */
export const LAYER_EXTENSION_PATH = 'extensions/tsproxy-tailscale';
export const LAYER_TAILSCALE_PATH = 'bin/tailscale';
export const LAYER_TAILSCALED_PATH = 'bin/tailscaled';

// Changes whenever the layer's layout or zip format changes, so that cached zips and CDK assets are rebuilt.
export const LAYOUT_VERSION = 'tsproxy-layer-1';

export interface TailscaleBinaries {
  readonly tailscale: Buffer;
  readonly tailscaled: Buffer;
}

/**
 * `tailscale` and `tailscaled` from an official tarball, whose files sit in one folder
 * `tailscale_<version>_<goarch>/`. A tarball of the other architecture is refused.
 */
export function extractTailscaleBinaries(tarball: Buffer, arch: Arch): TailscaleBinaries {
  const files = readTarGz(tarball);
  const found = new Map<string, Buffer>();
  const folders = new Set<string>();
  for (const file of files) {
    const m = /^(tailscale_[^/]+_([a-z0-9]+))\/(tailscale|tailscaled)$/.exec(file.path);
    if (!m) continue;
    if (m[2] !== goArch(arch)) {
      throw new Error(`tsproxy-cdk: the Tailscale tarball is for ${m[2]}, the function is ${arch} (${goArch(arch)})`);
    }
    folders.add(m[1]);
    found.set(m[3], file.data);
  }
  if (folders.size > 1) throw new Error(`tsproxy-cdk: the Tailscale tarball holds several releases: ${[...folders].join(', ')}`);
  const tailscale = found.get('tailscale');
  const tailscaled = found.get('tailscaled');
  if (!tailscale || !tailscaled) {
    throw new Error(
      `tsproxy-cdk: the Tailscale tarball has no tailscale_<version>_${goArch(arch)}/${tailscale ? 'tailscaled' : 'tailscale'}`,
    );
  }
  return { tailscale, tailscaled };
}

/** The layer zip's bytes: the same inputs always give the same bytes. */
export function layerZip(extension: Buffer, binaries: TailscaleBinaries): Buffer {
  return deterministicZip([
    { name: LAYER_EXTENSION_PATH, data: extension, executable: true },
    { name: LAYER_TAILSCALE_PATH, data: binaries.tailscale, executable: true },
    { name: LAYER_TAILSCALED_PATH, data: binaries.tailscaled, executable: true },
  ]);
}

export interface LayerZipRequest {
  readonly arch: Arch;
  readonly extension: Buffer;
  /** SHA-256 of the verified tarball; with the extension's it names the cached zip. */
  readonly tarballSha256: string;
  readonly tarball: Buffer;
  readonly cacheDir: string;
}

/**
 * Path of the layer zip for these inputs, built once and then reused from the cache: compressing
 * tailscaled takes seconds, and a synth should not pay it every time.
 */
export function cachedLayerZip(req: LayerZipRequest): string {
  const key = crypto
    .createHash('sha256')
    .update(`${LAYOUT_VERSION}\n${req.arch}\n${req.tarballSha256}\n`)
    .update(crypto.createHash('sha256').update(req.extension).digest('hex'))
    .digest('hex')
    .slice(0, 32);
  const out = path.join(req.cacheDir, 'layers', `tsproxy-tailscale-layer-${req.arch}-${key}.zip`);
  if (fs.existsSync(out)) return out;
  const zip = layerZip(req.extension, extractTailscaleBinaries(req.tarball, req.arch));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const partial = `${out}.${process.pid}.partial`;
  fs.writeFileSync(partial, zip);
  fs.renameSync(partial, out);
  return out;
}
