// The Tailscale layer is built only for the stacks CDK bundles (`cdk synth STACK` and `cdk deploy STACK`
// bundle the stacks they select, through the context key aws:cdk:bundling-stacks): the synth of any other
// stack reads neither the tarball nor the extension executable and downloads nothing, and constructing
// the construct needs neither file to exist.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as cdk from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { TailscaleBinariesOptions, TailscaleLambdaProxy, TailscaleRelease } from 'tsproxy-cdk';
import { extractTailscaleBinaries, layerZip } from '../lib/layer-assembly';
import { fixtureEnv, makeFixture, serveFile, tempDir, withEnv } from './support';

const fixture = makeFixture('hermetic');
const missing = path.join(fixture.dir, 'missing');

/** Synthesizes an app whose stack 'Stack' holds the proxy, with only the stacks `bundled` bundled. */
function synthProxy(bundled: string[], tailscale: TailscaleBinariesOptions, extensionExecutablePath?: string) {
  // Nothing in the environment points at a tarball, and the cache is empty: the props say it all.
  const env = {
    ...fixtureEnv(fixture),
    TSPROXY_CDK_OFFLINE: undefined,
    TSPROXY_CDK_TAILSCALE_TARBALL_ARM64: undefined,
    TSPROXY_CDK_TAILSCALE_SHA256_ARM64: undefined,
    TSPROXY_CDK_CACHE_DIR: tempDir('hermetic-cache'),
  };
  return withEnv(env, () => {
    const app = new cdk.App({ outdir: tempDir('hermetic-out'), context: { 'aws:cdk:bundling-stacks': bundled } });
    const stack = new cdk.Stack(app, 'Stack');
    new TailscaleLambdaProxy(stack, 'proxy', {
      tsSecretApiKey: secretsmanager.Secret.fromSecretNameV2(stack, 'key', 'key'),
      tsHostname: 'h',
      options: { tailscale, extensionExecutablePath },
    });
    const assembly = app.synth();
    const layers = Object.values(assembly.getStackByName('Stack').template.Resources as Record<string, any>).filter(
      (r) => r.Type === 'AWS::Lambda::LayerVersion',
    );
    assert.equal(layers.length, 1);
    return { directory: assembly.directory, layerKey: layers[0].Properties.Content.S3Key as string };
  });
}

test('a stack CDK does not bundle downloads nothing; the bundled one downloads the tarball once', async (t) => {
  const server = await serveFile(t, fixture.tarball.arm64.path, `tailscale_${TailscaleRelease.VERSION}_arm64.tgz`);
  const tailscale = { sha256: fixture.tarball.arm64.sha256, downloadBaseUrl: server.base };
  synthProxy(['Other'], tailscale);
  assert.equal(await server.hits(), 0);
  synthProxy(['Stack'], tailscale);
  assert.equal(await server.hits(), 1);
});

test('construction and the synth of a stack not bundled need neither the tarball nor the extension', () => {
  const absent = { tarballPath: `${missing}.tgz`, sha256: fixture.tarball.arm64.sha256 };
  const { layerKey } = synthProxy(['Other'], absent, missing);
  assert.match(layerKey, /^[0-9a-f]{64}\.zip$/);
  // Bundled, the same inputs stop the synth, naming the file that is missing.
  assert.throws(() => synthProxy(['Stack'], absent), /tailscale\.tarballPath .*missing\.tgz does not exist/);
  const present = { tarballPath: fixture.tarball.arm64.path, sha256: fixture.tarball.arm64.sha256 };
  assert.throws(() => synthProxy(['Stack'], present, missing), /the arm64 extension executable .*missing does not exist/);
});

test('the bundled layer is the zip of the extension and the tarball\'s binaries, under a hash of its inputs', () => {
  const present = { tarballPath: fixture.tarball.arm64.path, sha256: fixture.tarball.arm64.sha256 };
  const { directory, layerKey } = synthProxy(['Stack'], present);
  const expected = layerZip(fs.readFileSync(fixture.extension.arm64), extractTailscaleBinaries(fs.readFileSync(fixture.tarball.arm64.path), 'arm64'));
  assert.ok(fs.readFileSync(path.join(directory, `asset.${layerKey}`)).equals(expected));
  assert.equal(synthProxy(['Stack'], present).layerKey, layerKey);
  // Another extension executable: another layer, under another hash.
  const other = path.join(tempDir('other-extension'), 'tsproxy-tailscale-arm64');
  fs.writeFileSync(other, '#!/bin/sh\necho another extension\n', { mode: 0o755 });
  assert.notEqual(synthProxy(['Stack'], present, other).layerKey, layerKey);
});
