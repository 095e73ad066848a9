import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import * as fs from 'fs';
import { LAYER_EXTENSION_PATH, LAYER_TAILSCALED_PATH, LAYER_TAILSCALE_PATH, cachedLayerZip } from './layer-assembly';
import { defaultCacheDir, offlineByEnvironment, packagedExtensionExecutable, requireFile, tarballFromEnvironment } from './package-assets';
import { Arch, TAILSCALE_DOWNLOAD_BASE_URL, TAILSCALE_SHA256, TAILSCALE_VERSION, tarballName } from './tailscale-release';
import { resolveTailscaleTarball } from './tailscale-tarball';

/**
 * Where the layer's `tailscale` and `tailscaled` come from. By default the pinned official release
 * (`TailscaleRelease.VERSION`) is downloaded once into the cache folder and checked against its pinned
 * SHA-256; a tarball that does not match is refused.
 */
export interface TailscaleBinariesOptions {
  /**
   * An official static release tarball (`tailscale_<version>_<amd64|arm64>.tgz`) to use instead of the
   * cache or a download. Its SHA-256 must be `sha256`, or the pinned one when `sha256` is not given.
   * @default - `$TSPROXY_CDK_TAILSCALE_TARBALL_ARM64` / `_X86_64`, else the cache, then a download
   */
  readonly tarballPath?: string;

  /**
   * Tailscale version, when it is not the pinned one; then `sha256` is required.
   * @default TailscaleRelease.VERSION
   */
  readonly version?: string;

  /**
   * SHA-256 (hex) the tarball must have.
   * @default - `$TSPROXY_CDK_TAILSCALE_SHA256_ARM64` / `_X86_64`, else the hash pinned in this package for `TailscaleRelease.VERSION`
   */
  readonly sha256?: string;

  /**
   * Folder of downloaded tarballs and assembled layer zips.
   * @default - `$TSPROXY_CDK_CACHE_DIR`, else `$XDG_CACHE_HOME/tsproxy-cdk`, else `~/.cache/tsproxy-cdk`
   */
  readonly cacheDir?: string;

  /**
   * Whether a tarball missing from the cache may be downloaded at synth time.
   * @default - true, unless the environment variable `TSPROXY_CDK_OFFLINE` is set (not 0/false)
   */
  readonly allowDownload?: boolean;

  /**
   * Base URL the tarball is downloaded from (`<base>/tailscale_<version>_<arch>.tgz`), e.g. a mirror.
   * @default https://pkgs.tailscale.com/stable
   */
  readonly downloadBaseUrl?: string;

  /**
   * How long a download may take.
   * @default Duration.minutes(2)
   */
  readonly downloadTimeout?: cdk.Duration;
}

export interface TailscaleLambdaExtensionProps {
  /** Options of the layer version, as the Node.js extension construct took them. */
  readonly options?: lambda.LayerVersionOptions;

  /**
   * Architecture of the layer's executables.
   * @default Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;

  /** Where Tailscale's binaries come from. */
  readonly tailscale?: TailscaleBinariesOptions;

  /**
   * tsproxy's extension executable (`tsproxy-tailscale`, static) to put into the layer.
   * @default - the executable of this architecture shipped in the package
   */
  readonly extensionExecutablePath?: string;
}

/** The Tailscale release this package is pinned to. */
export class TailscaleRelease {
  /** The pinned Tailscale version. */
  public static readonly VERSION: string = TAILSCALE_VERSION;

  /** SHA-256 of the official tarball of the pinned version for an architecture. */
  public static sha256(architecture: lambda.Architecture): string {
    return TAILSCALE_SHA256[archOf(architecture)];
  }

  /** File name of the official tarball of the pinned version for an architecture. */
  public static tarballName(architecture: lambda.Architecture): string {
    return tarballName(TAILSCALE_VERSION, archOf(architecture));
  }

  private constructor() {}
}

/** Lambda's architecture name, or a clear error for one tsproxy is not built for. */
export function archOf(architecture: lambda.Architecture): Arch {
  if (architecture.name === 'arm64' || architecture.name === 'x86_64') return architecture.name;
  throw new Error(`tsproxy-cdk: unsupported architecture '${architecture.name}' (arm64 or x86_64)`);
}

/**
 * A Lambda layer with tsproxy's Tailscale extension: Lambda starts `/opt/extensions/tsproxy-tailscale`
 * before the runtime; it fetches the auth key from Secrets Manager, starts `/opt/bin/tailscaled` with
 * its SOCKS5 listener on 127.0.0.1:1055 and brings the node up with `/opt/bin/tailscale`.
 *
 * The layer is assembled at synth time, byte for byte the same for the same inputs, from the packaged
 * extension executable and a Tailscale release tarball whose SHA-256 is checked.
 */
export class TailscaleLambdaExtension extends Construct {
  /** The layer version to attach to a function of the same architecture. */
  public readonly layer: lambda.LayerVersion;

  /** The layer's architecture. */
  public readonly architecture: lambda.Architecture;

  /** The Tailscale version in the layer. */
  public readonly tailscaleVersion: string;

  constructor(scope: Construct, id: string, props: TailscaleLambdaExtensionProps = {}) {
    super(scope, id);
    this.architecture = props.architecture ?? lambda.Architecture.ARM_64;
    const arch = archOf(this.architecture);
    const ts = props.tailscale ?? {};
    this.tailscaleVersion = ts.version ?? TAILSCALE_VERSION;
    const cacheDir = ts.cacheDir ?? defaultCacheDir();
    const offline = offlineByEnvironment();
    const fromEnv = tarballFromEnvironment(arch);

    const extensionPath = requireFile(
      props.extensionExecutablePath ?? packagedExtensionExecutable(arch),
      `the ${arch} extension executable`,
      props.extensionExecutablePath
        ? ''
        : `This copy of the package was built without it (scripts/assemble-assets.mjs copies it from ` +
            `build/lambda-${arch}/dist/); pass options.extensionExecutablePath to use another.`,
    );
    const tarball = resolveTailscaleTarball({
      arch,
      version: this.tailscaleVersion,
      sha256: ts.sha256 ?? fromEnv.sha256,
      tarballPath: ts.tarballPath ?? fromEnv.path,
      cacheDir,
      allowDownload: ts.allowDownload ?? !offline,
      offlineReason: ts.allowDownload === false ? 'tailscale.allowDownload is false' : offline ? 'TSPROXY_CDK_OFFLINE is set' : undefined,
      downloadBaseUrl: ts.downloadBaseUrl ?? TAILSCALE_DOWNLOAD_BASE_URL,
      downloadTimeoutMs: (ts.downloadTimeout ?? cdk.Duration.minutes(2)).toMilliseconds(),
    });
    const zip = cachedLayerZip({
      arch,
      extension: fs.readFileSync(extensionPath),
      tarballSha256: tarball.sha256,
      tarball: tarball.data,
      cacheDir,
    });

    this.layer = new lambda.LayerVersion(this, 'tailscale-extension', {
      description:
        `tsproxy's Tailscale extension (${LAYER_EXTENSION_PATH}) with Tailscale ${this.tailscaleVersion} ` +
        `(${LAYER_TAILSCALE_PATH}, ${LAYER_TAILSCALED_PATH}), ${arch}`,
      ...props.options,
      code: lambda.Code.fromAsset(zip),
      compatibleArchitectures: [this.architecture],
    });
  }
}
