import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { crc32, deterministicZip } from '../lib/deterministic-zip';
import { readZipWithPython, sha256, tempDir } from './support';

const entries = [
  { name: 'extensions/tsproxy-tailscale', data: Buffer.from('#!/bin/sh\nexit 0\n'), executable: true },
  { name: 'bin/tailscaled', data: Buffer.alloc(100000, 7), executable: true },
  { name: 'README', data: Buffer.from('text\n'), executable: false },
];

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.alloc(0)), 0);
});

test('the same entries give the same bytes, whatever their order', () => {
  const a = deterministicZip(entries);
  const b = deterministicZip([...entries].reverse());
  assert.ok(a.equals(b));
});

test('Python zipfile reads it back: sorted names, modes 0755/0644, 1980-01-01, exact contents', () => {
  const dir = tempDir('zip');
  const file = path.join(dir, 'out.zip');
  fs.writeFileSync(file, deterministicZip(entries));
  const read = readZipWithPython(file);
  assert.equal(read.bad, null);
  assert.deepEqual(
    read.entries.map((e) => [e.name, e.mode, e.date_time, e.size, e.sha256]),
    [
      ['README', 0o100644, [1980, 1, 1, 0, 0, 0], 5, sha256(entries[2].data)],
      ['bin/tailscaled', 0o100755, [1980, 1, 1, 0, 0, 0], 100000, sha256(entries[1].data)],
      ['extensions/tsproxy-tailscale', 0o100755, [1980, 1, 1, 0, 0, 0], 17, sha256(entries[0].data)],
    ],
  );
});

test('refuses unsafe or duplicate names', () => {
  for (const name of ['', '/abs', 'a/../b', 'a//b', 'a\\b', './a']) {
    assert.throws(() => deterministicZip([{ name, data: Buffer.alloc(1), executable: false }]), /invalid entry name/);
  }
  assert.throws(
    () => deterministicZip([{ name: 'a', data: Buffer.alloc(1), executable: false }, { name: 'a', data: Buffer.alloc(2), executable: true }]),
    /duplicate entry 'a'/,
  );
});
