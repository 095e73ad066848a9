// The layer's code as a CDK asset that CDK's local bundling builds. CDK bundles only the stacks it is told
// to (the context key aws:cdk:bundling-stacks, which `cdk synth STACK` and `cdk deploy STACK` set to the
// stacks they select), so the synth of any other stack never reads the tarball or the extension
// executable, never starts a download and never writes a zip.
import * as fs from 'fs';
import * as path from 'path';
import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { LAYOUT_VERSION, cachedLayerZip } from './layer-assembly';
import { requireFile } from './package-assets';
import { Arch } from './tailscale-release';
import { TarballRequest, expectedSha256, resolveTailscaleTarball, sha256Hex } from './tailscale-tarball';

export interface LayerCodeInputs {
  readonly arch: Arch;
  readonly extensionPath: string;
  /** Says how to get the extension executable when it is missing. */
  readonly extensionRemedy: string;
  readonly tarball: TarballRequest;
}

// Bundling needs an existing source folder; the layer is built from the inputs, never from its files.
const BUNDLING_SOURCE_DIR = __dirname;

// Local bundling either builds the zip or throws, so Docker is never asked for this image: the name
// says so should anything ever try.
const NO_DOCKER_IMAGE = cdk.DockerImage.fromRegistry('tsproxy-cdk-layer-is-bundled-locally-only');

function readExtension(inputs: LayerCodeInputs): Buffer {
  return fs.readFileSync(requireFile(inputs.extensionPath, `the ${inputs.arch} extension executable`, inputs.extensionRemedy));
}

/**
 * The asset's hash, known before anything is bundled: the layout, the architecture, the Tailscale release
 * (by its SHA-256, which bundling verifies) and the extension executable's SHA-256. Reading the extension
 * for its hash is the one file read at construction, and only in a stack CDK bundles, which reads it
 * again right after; a stack it does not bundle is never deployed and gets the hash without it.
 */
function assetHash(scope: Construct, inputs: LayerCodeInputs): string {
  const t = inputs.tarball;
  const extension = cdk.Stack.of(scope).bundlingRequired ? sha256Hex(readExtension(inputs)) : 'not bundled';
  return sha256Hex(
    Buffer.from(
      [LAYOUT_VERSION, inputs.arch, t.version, expectedSha256(t.arch, t.version, t.sha256), extension].join('\n'),
    ),
  );
}

/** The layer zip as lambda code, built by CDK's local bundling when (and only if) CDK bundles the stack. */
export function tailscaleLayerCode(scope: Construct, inputs: LayerCodeInputs): lambda.Code {
  return lambda.Code.fromAsset(BUNDLING_SOURCE_DIR, {
    assetHashType: cdk.AssetHashType.CUSTOM,
    assetHash: assetHash(scope, inputs),
    bundling: {
      image: NO_DOCKER_IMAGE,
      outputType: cdk.BundlingOutput.ARCHIVED,
      local: {
        tryBundle(outputDir: string): boolean {
          const tarball = resolveTailscaleTarball(inputs.tarball);
          const zip = cachedLayerZip({
            arch: inputs.arch,
            extension: readExtension(inputs),
            tarballSha256: tarball.sha256,
            tarball: tarball.data,
            cacheDir: inputs.tarball.cacheDir,
          });
          fs.copyFileSync(zip, path.join(outputDir, path.basename(zip)));
          return true;
        },
      },
    },
  });
}
