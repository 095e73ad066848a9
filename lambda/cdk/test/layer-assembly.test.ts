import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { cachedLayerZip, extractTailscaleBinaries, layerZip } from '../lib/layer-assembly';
import { makeTailscaleTarball, readZipWithPython, sha256, tempDir } from './support';

const dir = tempDir('layer');
const arm = makeTailscaleTarball(dir, 'arm64');
const extension = Buffer.from('#!/bin/sh\necho extension\n');

test('takes tailscale and tailscaled from the release folder', () => {
  const b = extractTailscaleBinaries(fs.readFileSync(arm.path), 'arm64');
  assert.equal(b.tailscale.toString(), '#!/bin/sh\necho stand-in tailscale arm64\n');
  assert.equal(b.tailscaled.toString(), '#!/bin/sh\necho stand-in tailscaled arm64\n');
});

test('refuses a tarball of the other architecture or without tailscaled', () => {
  assert.throws(() => extractTailscaleBinaries(fs.readFileSync(arm.path), 'x86_64'), /tarball is for arm64, the function is x86_64 \(amd64\)/);
  const partial = makeTailscaleTarball(tempDir('partial'), 'arm64', { omit: ['tailscaled'] });
  assert.throws(() => extractTailscaleBinaries(fs.readFileSync(partial.path), 'arm64'), /has no tailscale_<version>_arm64\/tailscaled/);
});

test('the layer holds the extension in extensions/ and both binaries in bin/, all executable', () => {
  const b = extractTailscaleBinaries(fs.readFileSync(arm.path), 'arm64');
  const file = path.join(dir, 'layer.zip');
  fs.writeFileSync(file, layerZip(extension, b));
  const read = readZipWithPython(file);
  assert.equal(read.bad, null);
  assert.deepEqual(
    read.entries.map((e) => [e.name, e.mode, e.sha256]),
    [
      ['bin/tailscale', 0o100755, sha256(b.tailscale)],
      ['bin/tailscaled', 0o100755, sha256(b.tailscaled)],
      ['extensions/tsproxy-tailscale', 0o100755, sha256(extension)],
    ],
  );
});

test('byte-stable: a tarball rebuilt with other timestamps gives the same layer; the zip is cached', () => {
  const again = makeTailscaleTarball(tempDir('again'), 'arm64', { mtime: 1700000000 });
  const cacheDir = tempDir('layer-cache');
  const first = cachedLayerZip({ arch: 'arm64', extension, tarballSha256: arm.sha256, tarball: fs.readFileSync(arm.path), cacheDir });
  const bytes = fs.readFileSync(first);
  assert.ok(layerZip(extension, extractTailscaleBinaries(fs.readFileSync(again.path), 'arm64')).equals(bytes));
  // Same inputs: the cached file, untouched.
  const stat = fs.statSync(first);
  const second = cachedLayerZip({ arch: 'arm64', extension, tarballSha256: arm.sha256, tarball: Buffer.alloc(0), cacheDir });
  assert.equal(second, first);
  assert.equal(fs.statSync(second).mtimeMs, stat.mtimeMs);
  // Another extension: another zip.
  const third = cachedLayerZip({ arch: 'arm64', extension: Buffer.from('other'), tarballSha256: arm.sha256, tarball: fs.readFileSync(arm.path), cacheDir });
  assert.notEqual(third, first);
});
