import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { TAILSCALE_SHA256, TAILSCALE_VERSION } from '../lib/tailscale-release';
import { cachedTarballPath, expectedSha256, resolveTailscaleTarball } from '../lib/tailscale-tarball';
import { makeTailscaleTarball, serveFile, sha256, tempDir } from './support';

const dir = tempDir('tarball');
const arm = makeTailscaleTarball(dir, 'arm64');

function request(extra: object) {
  return {
    arch: 'arm64' as const,
    version: TAILSCALE_VERSION,
    sha256: arm.sha256,
    cacheDir: tempDir('cache'),
    allowDownload: false,
    downloadBaseUrl: 'http://127.0.0.1:9/unused',
    downloadTimeoutMs: 10000,
    ...extra,
  };
}

test('the pinned hashes are SHA-256 in hex, one per architecture', () => {
  assert.match(TAILSCALE_SHA256.arm64, /^[0-9a-f]{64}$/);
  assert.match(TAILSCALE_SHA256.x86_64, /^[0-9a-f]{64}$/);
  assert.notEqual(TAILSCALE_SHA256.arm64, TAILSCALE_SHA256.x86_64);
  assert.equal(expectedSha256('x86_64', TAILSCALE_VERSION, undefined), TAILSCALE_SHA256.x86_64);
});

test('another version needs its hash: an unverified tarball is never used', () => {
  assert.throws(() => expectedSha256('arm64', '1.2.3', undefined), /no SHA-256 is pinned for Tailscale 1\.2\.3.*pass tailscale\.sha256/);
  assert.throws(() => expectedSha256('arm64', TAILSCALE_VERSION, 'abc'), /not a SHA-256/);
  assert.equal(expectedSha256('arm64', '1.2.3', arm.sha256.toUpperCase()), arm.sha256);
});

test('a tarball path is used when its hash matches, refused when not', () => {
  const ok = resolveTailscaleTarball(request({ tarballPath: arm.path }));
  assert.equal(ok.source, 'path');
  assert.equal(ok.sha256, arm.sha256);
  assert.throws(() => resolveTailscaleTarball(request({ tarballPath: arm.path, sha256: 'f'.repeat(64) })), /has SHA-256 [0-9a-f]{64}, expected f{64}; refusing/);
  // The pinned hash is the default: a stand-in never passes for the official tarball.
  assert.throws(() => resolveTailscaleTarball(request({ tarballPath: arm.path, sha256: undefined })), new RegExp(`expected ${TAILSCALE_SHA256.arm64}`));
  assert.throws(() => resolveTailscaleTarball(request({ tarballPath: path.join(dir, 'nope.tgz') })), /does not exist/);
});

test('offline and not cached: says what is needed and where to put it', () => {
  const req = request({ offlineReason: 'TSPROXY_CDK_OFFLINE is set', sha256: undefined });
  assert.throws(() => resolveTailscaleTarball(req), (e: Error) => {
    assert.match(e.message, /needs tailscale_1\.104\.1_arm64\.tgz, which is not in the cache and downloads are off \(TSPROXY_CDK_OFFLINE is set\)/);
    assert.ok(e.message.includes(`http://127.0.0.1:9/unused/tailscale_${TAILSCALE_VERSION}_arm64.tgz`));
    assert.ok(e.message.includes(TAILSCALE_SHA256.arm64));
    assert.ok(e.message.includes(cachedTarballPath(req.cacheDir, TAILSCALE_VERSION, 'arm64')));
    return true;
  });
});

test('a cached tarball is used; a replaced one is refused', () => {
  const req = request({});
  const cached = cachedTarballPath(req.cacheDir, TAILSCALE_VERSION, 'arm64');
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  fs.copyFileSync(arm.path, cached);
  assert.equal(resolveTailscaleTarball(req).source, 'cache');
  fs.appendFileSync(cached, 'x');
  assert.throws(() => resolveTailscaleTarball(req), /the cached tarball \(delete it to download it again\)/);
});

test('downloaded once (through a redirect), then taken from the cache', async (t) => {
  const name = `tailscale_${TAILSCALE_VERSION}_arm64.tgz`;
  const server = await serveFile(t, arm.path, name);
  const req = request({ allowDownload: true, downloadBaseUrl: `${server.base}/redirect` });
  const first = resolveTailscaleTarball(req);
  assert.equal(first.source, 'download');
  assert.equal(sha256(fs.readFileSync(first.path)), arm.sha256);
  assert.equal(await server.hits(), 2); // the redirect and the file
  assert.equal(resolveTailscaleTarball(req).source, 'cache');
  assert.equal(await server.hits(), 2);
  assert.deepEqual(fs.readdirSync(path.dirname(first.path)), [name]); // no partial file left
});

test('a download with the wrong hash is refused and not cached; a failed one names the URL', async (t) => {
  const other = makeTailscaleTarball(tempDir('other'), 'arm64', { omit: ['README'] });
  const name = `tailscale_${TAILSCALE_VERSION}_arm64.tgz`;
  const server = await serveFile(t, other.path, name);
  const req = request({ allowDownload: true, downloadBaseUrl: server.base });
  assert.throws(() => resolveTailscaleTarball(req), new RegExp(`the download of ${server.base}/${name} has SHA-256 ${other.sha256}, expected ${arm.sha256}`));
  assert.equal(fs.existsSync(cachedTarballPath(req.cacheDir, TAILSCALE_VERSION, 'arm64')), false);
  assert.deepEqual(fs.readdirSync(path.join(req.cacheDir, 'tailscale')), []);

  const missing = request({ allowDownload: true, downloadBaseUrl: `${server.base}/elsewhere` });
  assert.throws(() => resolveTailscaleTarball(missing), /could not download .*\/elsewhere\/tailscale_1\.104\.1_arm64\.tgz: HTTP 404/);
});
