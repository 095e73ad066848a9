// The pinned Tailscale releases are written once, in toolchain/tailscale-pins: the package ships a copy of
// that file, and toolchain/fetch-tailscale, package_layer.cmake and the construct all read it.
import * as assert from 'assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { TAILSCALE_PINNED_VERSIONS, TAILSCALE_PINS_FILE, TAILSCALE_SHA256, TAILSCALE_VERSION, parseTailscalePins, pinnedSha256 } from '../lib/tailscale-release';
import { expectedSha256 } from '../lib/tailscale-tarball';
import { PACKAGE_DIR, arm64Elf, tempDir } from './support';

const REPO = path.resolve(PACKAGE_DIR, '..', '..');
const PINS = path.join(REPO, 'toolchain', 'tailscale-pins');
const rows = fs
  .readFileSync(PINS, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((l) => l.split(' '));

test("the package's copy is the toolchain's table, byte for byte", () => {
  assert.equal(TAILSCALE_PINS_FILE, path.join(PACKAGE_DIR, 'tailscale-pins'));
  assert.ok(fs.readFileSync(TAILSCALE_PINS_FILE).equals(fs.readFileSync(PINS)), 'npm run build copies toolchain/tailscale-pins');
});

test("the construct pins the table's first version and every row's hash", () => {
  assert.equal(TAILSCALE_VERSION, rows[0][0]);
  assert.deepEqual(TAILSCALE_PINNED_VERSIONS, [...new Set(rows.map((r) => r[0]))]);
  for (const [version, goarch, sha256] of rows) {
    const arch = goarch === 'amd64' ? 'x86_64' : 'arm64';
    assert.equal(pinnedSha256(version, arch), sha256);
    assert.equal(expectedSha256(arch, version, undefined), sha256, `${version} ${goarch} needs no hash given`);
  }
  assert.deepEqual(TAILSCALE_SHA256, { x86_64: pinnedSha256(TAILSCALE_VERSION, 'x86_64'), arm64: pinnedSha256(TAILSCALE_VERSION, 'arm64') });
});

test('a malformed table is refused, naming the line', () => {
  const sha = 'a'.repeat(64);
  const parse = (text: string) => () => parseTailscalePins(text, 'pins');
  assert.throws(parse(`# comment\n1.2.3 amd64 ${sha}\n1.2.3 arm64 xyz\n`), /pins:3: expected '<version> <amd64\|arm64> <sha256>', got '1\.2\.3 arm64 xyz'/);
  assert.throws(parse(`1.2.3 amd64 ${sha}\n1.2.3 amd64 ${sha}\n`), /pins:2: 1\.2\.3 amd64 is pinned twice/);
  assert.throws(parse(`1.2.3 amd64 ${sha}\n`), /1\.2\.3 is not pinned for both amd64 and arm64/);
  assert.throws(parse('# nothing\n'), /pins pins no Tailscale release/);
  assert.deepEqual(parseTailscalePins(`1.2.3 amd64 ${sha}\n\n1.2.3 arm64 ${'b'.repeat(64)}\n`, 'pins').version, '1.2.3');
});

test('toolchain/fetch-tailscale checks against the same table (refusals that need no network)', () => {
  const fetch = (args: string[], sha256?: string) =>
    spawnSync(path.join(REPO, 'toolchain', 'fetch-tailscale'), [...args, tempDir('fetch')], {
      encoding: 'utf8',
      env: { ...process.env, TSPROXY_TAILSCALE_SHA256: sha256 ?? '' },
    });
  for (const [version, goarch, sha256] of rows) {
    const r = fetch([version, goarch], 'f'.repeat(64));
    assert.equal(r.status, 1);
    assert.ok(r.stderr.includes(`TSPROXY_TAILSCALE_SHA256 differs from the hash pinned for ${version} ${goarch} (${sha256})`), r.stderr);
  }
  const unknown = fetch(['9.9.9', 'arm64']);
  assert.equal(unknown.status, 1);
  assert.ok(unknown.stderr.includes(`(pinned: ${rows.map((r) => `${r[0]} ${r[1]}; `).join('')})`), unknown.stderr);
});

test("package_layer.cmake, given no tarball, names the table's first version to fetch", () => {
  const dir = tempDir('no-tarball');
  const extension = path.join(dir, 'tsproxy-tailscale');
  fs.writeFileSync(extension, arm64Elf(Buffer.alloc(0)), { mode: 0o755 });
  const r = spawnSync(
    'cmake',
    [`-DEXTENSION=${extension}`, '-DTARBALL=', '-DARCH=arm64', `-DOUT_DIR=${dir}`, `-DZIP_TOOL=${path.join(REPO, 'toolchain', 'deterministic-zip')}`, '-DPYTHON=python3', '-P', path.join(REPO, 'lambda', 'extension', 'package_layer.cmake')],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes(`toolchain/fetch-tailscale ${TAILSCALE_VERSION} arm64`), r.stderr);
});
