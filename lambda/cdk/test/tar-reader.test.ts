import * as assert from 'assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { test } from 'node:test';
import { readTarGz } from '../lib/tar-reader';
import { makeTailscaleTarball, tempDir } from './support';

test('reads the regular files of a tarball made by tar, with their modes', () => {
  const dir = tempDir('tar');
  const t = makeTailscaleTarball(dir, 'arm64');
  const files = readTarGz(fs.readFileSync(t.path));
  const byName = new Map(files.map((f) => [f.path, f]));
  assert.deepEqual([...byName.keys()].sort(), [
    'tailscale_1.104.1_arm64/README',
    'tailscale_1.104.1_arm64/tailscale',
    'tailscale_1.104.1_arm64/tailscaled',
  ]);
  assert.equal(byName.get('tailscale_1.104.1_arm64/tailscaled')!.mode & 0o777, 0o755);
  assert.equal(byName.get('tailscale_1.104.1_arm64/tailscale')!.data.toString(), '#!/bin/sh\necho stand-in tailscale arm64\n');
});

test('long names: PAX (Python tarfile) and GNU (tar --format=gnu)', () => {
  const dir = tempDir('tar-long');
  const long = `${'d'.repeat(120)}/${'f'.repeat(110)}`;
  const pax = path.join(dir, 'pax.tgz');
  execFileSync('python3', [
    '-c',
    'import io,sys,tarfile\nwith tarfile.open(sys.argv[1],"w:gz",format=tarfile.PAX_FORMAT) as t:\n  i=tarfile.TarInfo(sys.argv[2]); d=b"pax body"; i.size=len(d); t.addfile(i, io.BytesIO(d))',
    pax,
    long,
  ]);
  assert.deepEqual(readTarGz(fs.readFileSync(pax)).map((f) => [f.path, f.data.toString()]), [[long, 'pax body']]);

  fs.mkdirSync(path.join(dir, 'src', 'd'.repeat(120)), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', long), 'gnu body');
  const gnu = path.join(dir, 'gnu.tgz');
  execFileSync('tar', ['--format=gnu', '-czf', gnu, '-C', path.join(dir, 'src'), long]);
  assert.deepEqual(readTarGz(fs.readFileSync(gnu)).map((f) => [f.path, f.data.toString()]), [[long, 'gnu body']]);
});

test('refuses what is not gzip, a damaged header and a truncated entry', () => {
  assert.throws(() => readTarGz(Buffer.from('not gzip')), /not a readable gzip archive/);
  const dir = tempDir('tar-bad');
  const t = makeTailscaleTarball(dir, 'x86_64');
  const tar = zlib.gunzipSync(fs.readFileSync(t.path));
  const damaged = Buffer.from(tar);
  damaged[10] ^= 0xff;
  assert.throws(() => readTarGz(zlib.gzipSync(damaged)), /bad header checksum/);
  // The first header is the folder's, the second a file's, whose data is the third block.
  assert.throws(() => readTarGz(zlib.gzipSync(tar.subarray(0, 512 * 2 + 5))), /ends inside an entry/);
  assert.throws(() => readTarGz(zlib.gzipSync(tar.subarray(0, 512 * 3))), /without its end-of-archive marker/);
});
