// The layer has two assemblers: CMake's tailscale-layer target (lambda/extension/package_layer.cmake with
// toolchain/deterministic-zip, Python's zlib) and the construct (layer-assembly.ts with
// deterministic-zip.ts, Node.js's bundled zlib). From the same tarball and extension they write the same
// archive: the same bytes for small files, and for large ones the same bytes outside the deflate streams,
// which the two zlibs may compress differently (Node.js bundles Chromium's zlib), holding the same data.
import * as assert from 'assert/strict';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { test } from 'node:test';
import { extractTailscaleBinaries, layerZip } from '../lib/layer-assembly';
import { PACKAGE_DIR, arm64Elf, makeTailscaleTarball, tempDir } from './support';

const REPO = path.resolve(PACKAGE_DIR, '..', '..');

/** Both layer zips of the arm64 extension `extension` and a tarball holding these binaries. */
function bothLayers(extension: Buffer, binaries: { tailscale: Buffer; tailscaled: Buffer }): { cmake: Buffer; construct: Buffer } {
  const dir = tempDir('cmake-layer');
  const tarball = makeTailscaleTarball(dir, 'arm64', { binaries });
  const extensionPath = path.join(dir, 'tsproxy-tailscale');
  fs.writeFileSync(extensionPath, extension, { mode: 0o755 });
  const out = path.join(dir, 'out');
  execFileSync('cmake', [
    `-DEXTENSION=${extensionPath}`,
    `-DTARBALL=${tarball.path}`,
    '-DARCH=arm64',
    `-DOUT_DIR=${out}`,
    `-DZIP_TOOL=${path.join(REPO, 'toolchain', 'deterministic-zip')}`,
    '-DPYTHON=python3',
    '-P',
    path.join(REPO, 'lambda', 'extension', 'package_layer.cmake'),
  ]);
  return {
    cmake: fs.readFileSync(path.join(out, 'tsproxy-tailscale-layer-arm64.zip')),
    construct: layerZip(extension, extractTailscaleBinaries(fs.readFileSync(tarball.path), 'arm64')),
  };
}

/**
 * The archive with every deflate stream replaced by the data it inflates to, and the fields that count
 * compressed bytes (compressed sizes, offsets) zeroed: what the assemblers write themselves.
 */
function withStreamsInflated(zip: Buffer): Buffer {
  const end = zip.length - 22;
  assert.equal(zip.readUInt32LE(end), 0x06054b50, 'an end of central directory record without a comment');
  const entries = zip.readUInt16LE(end + 10);
  const centralStart = zip.readUInt32LE(end + 16);
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < entries; i++) {
    assert.equal(zip.readUInt32LE(at), 0x04034b50, `local header ${i}`);
    const header = Buffer.from(zip.subarray(at, at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28)));
    const compressed = zip.readUInt32LE(at + 18);
    header.writeUInt32LE(0, 18);
    const start = at + header.length;
    parts.push(header, zlib.inflateRawSync(zip.subarray(start, start + compressed)));
    at = start + compressed;
  }
  assert.equal(at, centralStart, 'the central directory follows the last entry');
  for (let i = 0; i < entries; i++) {
    const length = 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const header = Buffer.from(zip.subarray(at, at + length));
    header.writeUInt32LE(0, 20); // compressed size
    header.writeUInt32LE(0, 42); // local header offset
    parts.push(header);
    at += length;
  }
  const record = Buffer.from(zip.subarray(end));
  record.writeUInt32LE(0, 16); // central directory offset
  parts.push(record);
  return Buffer.concat(parts);
}

test('small files: the two assemblers write the same bytes', () => {
  const { cmake, construct } = bothLayers(arm64Elf(Buffer.from('stand-in extension\n'.repeat(50))), {
    tailscale: arm64Elf(Buffer.from('stand-in tailscale\n'.repeat(80))),
    tailscaled: arm64Elf(Buffer.from('stand-in tailscaled\n'.repeat(120))),
  });
  assert.ok(cmake.equals(construct), 'CMake\'s layer zip and the construct\'s are byte-identical');
});

test('executable-sized files: the same archive apart from how each zlib deflates', () => {
  // Compressible like an executable: words of a small random vocabulary in a pseudo-random order.
  const body = (seed: string, size: number) => {
    const words = Array.from({ length: 512 }, (_, i) => crypto.createHash('sha256').update(`${seed}${i}`).digest().subarray(0, 2 + (i % 11)));
    const out = Buffer.alloc(size);
    let state = 0x9e3779b9;
    for (let at = 0; at < size; ) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      at += words[state >>> 23].copy(out, at);
    }
    return out;
  };
  const { cmake, construct } = bothLayers(arm64Elf(body('extension', 1 << 20)), {
    tailscale: arm64Elf(body('tailscale', 2 << 20)),
    tailscaled: arm64Elf(body('tailscaled', 3 << 20)),
  });
  assert.ok(withStreamsInflated(cmake).equals(withStreamsInflated(construct)));
});
