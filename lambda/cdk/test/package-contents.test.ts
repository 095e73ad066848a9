// `npm pack` publishes exactly what the construct needs (scripts/check-pack.mjs), checked on a copy of the
// package with stand-in executables; the real ones are checked in CI after they are built.
import * as assert from 'assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { PACKAGE_DIR, makeFixture, tempDir } from './support';

function copyPackage(withAssets: boolean, extraFiles: string[] = [], functionsOnly = false): string {
  const dir = tempDir('pack');
  for (const item of ['package.json', 'README.md', 'tailscale-pins', '.jsii', 'config-contract.json', 'lib', 'warmer', 'scripts', 'src', 'test']) {
    const from = path.join(PACKAGE_DIR, item);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, item), { recursive: true });
  }
  if (!fs.existsSync(path.join(dir, '.jsii'))) fs.writeFileSync(path.join(dir, '.jsii'), '{}'); // made by jsii in CI
  fs.cpSync(path.join(PACKAGE_DIR, 'node_modules', 'aws4'), path.join(dir, 'node_modules', 'aws4'), { recursive: true });
  if (withAssets) {
    // As scripts/assemble-assets.mjs assembles it: the executables, and the licence from the repository root.
    fs.cpSync(makeFixture('pack-assets').assetDir, path.join(dir, 'assets'), { recursive: true });
    fs.copyFileSync(path.join(PACKAGE_DIR, '..', '..', 'LICENSE'), path.join(dir, 'LICENSE'));
    if (functionsOnly) for (const a of ['arm64', 'x86_64']) fs.rmSync(path.join(dir, 'assets', `tsproxy-tailscale-${a}`));
  }
  if (extraFiles.length) {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    pkg.files.push(...extraFiles);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
  }
  return dir;
}

function check(dir: string, ...flags: string[]) {
  return spawnSync(process.execPath, [path.join(PACKAGE_DIR, 'scripts', 'check-pack.mjs'), ...flags, dir], { encoding: 'utf8' });
}

test('the package holds both function zips, both extension executables and nothing unneeded', () => {
  const r = check(copyPackage(true));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /as expected/);
});

test('the check fails without the executables, and when sources would be published', () => {
  const without = check(copyPackage(false));
  assert.equal(without.status, 1);
  assert.match(without.stderr, /missing: assets\/tsproxy-function-arm64\.zip/);
  assert.match(without.stderr, /missing: assets\/tsproxy-tailscale-x86_64/);
  assert.match(without.stderr, /missing: LICENSE/);
  const contractless = copyPackage(true);
  fs.rmSync(path.join(contractless, 'config-contract.json'));
  assert.match(check(contractless).stderr, /missing: config-contract\.json/);
  const withoutPins = copyPackage(true);
  fs.rmSync(path.join(withoutPins, 'tailscale-pins'));
  assert.match(check(withoutPins).stderr, /missing: tailscale-pins/);
  const stray = check(copyPackage(true, ['src', 'test/support.ts']));
  assert.equal(stray.status, 1);
  assert.match(stray.stderr, /not wanted: src\/index\.ts/);
  assert.match(stray.stderr, /not wanted: test\/support\.ts/);
});

test('--functions-only (a tree without the extension yet) requires the function zips alone', () => {
  const dir = copyPackage(true, [], true);
  assert.equal(check(dir, '--functions-only').status, 0);
  const full = check(dir);
  assert.equal(full.status, 1);
  assert.match(full.stderr, /missing: assets\/tsproxy-tailscale-arm64/);
  assert.equal(check(copyPackage(false), '--functions-only').status, 1);
});
