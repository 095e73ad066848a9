import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { LAYER_EXTENSION_PATH, LAYER_TAILSCALED_PATH, LAYER_TAILSCALE_PATH } from './layer-assembly';
import { tailscaleLayerCode } from './layer-code';
import { defaultCacheDir, offlineByEnvironment, packagedExtensionExecutable, tarballFromEnvironment } from './package-assets';
import { Arch, TAILSCALE_DOWNLOAD_BASE_URL, TAILSCALE_SHA256, TAILSCALE_VERSION, tarballName } from './tailscale-release';

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
   * Tailscale version, when it is not the default one; `sha256` is required unless the package pins it.
   * @default TailscaleRelease.VERSION
   */
  readonly version?: string;

  /**
   * SHA-256 (hex) the tarball must have.
   * @default - `$TSPROXY_CDK_TAILSCALE_SHA256_ARM64` / `_X86_64`, else the hash this package pins for the version
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
   * Architecture of the layer's executables. A function of another architecture cannot use the layer:
   * `addToFunction` refuses it at synth.
   * @default Architecture.X86_64, as the tailscale-lambda-extension construct's layer
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

/** What `TailscaleLambdaExtension.addToFunction` gives a function besides the layer. */
export interface TailscaleFunctionOptions {
  /**
   * The Secrets Manager secret with the Tailscale auth key or OAuth client secret (`TS_SECRET_API_KEY`).
   * The function may read it, and decrypt it with its KMS key when it has one.
   */
  readonly secret: secretsmanager.ISecret;

  /**
   * The node's name in the tailnet (`TS_HOSTNAME`).
   * @default - tailscaled's default
   */
  readonly hostname?: string;

  /**
   * Route the function's HTTP clients that honour `HTTP_PROXY`/`HTTPS_PROXY` (Python's urllib and
   * requests, curl, Go's net/http, Node.js with `NODE_USE_ENV_PROXY=1`) through tailscaled's HTTP proxy
   * on `127.0.0.1:1055`; `NO_PROXY` keeps loopback (the Runtime API) and AWS's endpoints direct, so SDK
   * calls never cross the tailnet.
   * @default false
   */
  readonly httpProxy?: boolean;

  /**
   * More of the extension's variables (`TS_*`, `TSPROXY_TAILSCALE_*`), as its README lists them.
   * @default - none
   */
  readonly environment?: { [name: string]: string };
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
 * The layer is assembled when CDK bundles the stack, byte for byte the same for the same inputs, from the
 * packaged extension executable and a Tailscale release tarball whose SHA-256 is checked; the synth of a
 * stack CDK does not bundle reads neither and downloads nothing.
 */
export class TailscaleLambdaExtension extends Construct {
  /** tailscaled's HTTP proxy in the function (the SOCKS5 port, the extension's TSPROXY_SOCKS5_ADDRESS). */
  public static readonly PROXY_URL: string = 'http://127.0.0.1:1055';

  /**
   * What `NO_PROXY` names with `httpProxy`: loopback (the Runtime API), the instance and container
   * credential endpoints, and AWS's service endpoints.
   */
  public static readonly DIRECT_HOSTS: string =
    'localhost,127.0.0.1,::1,169.254.169.254,169.254.170.2,.amazonaws.com,.amazonaws.com.cn,.api.aws';

  /** The layer version to attach to a function of the same architecture. */
  public readonly layer: lambda.LayerVersion;

  /** The layer's architecture. */
  public readonly architecture: lambda.Architecture;

  /** The Tailscale version in the layer. */
  public readonly tailscaleVersion: string;

  constructor(scope: Construct, id: string, props: TailscaleLambdaExtensionProps = {}) {
    super(scope, id);
    this.architecture = props.architecture ?? lambda.Architecture.X86_64;
    const arch = archOf(this.architecture);
    const ts = props.tailscale ?? {};
    this.tailscaleVersion = ts.version ?? TAILSCALE_VERSION;
    const cacheDir = ts.cacheDir ?? defaultCacheDir();
    const offline = offlineByEnvironment();
    const fromEnv = tarballFromEnvironment(arch);

    // Values only: the files are read, and the tarball downloaded, when CDK bundles the layer.
    const code = tailscaleLayerCode(this, {
      arch,
      extensionPath: props.extensionExecutablePath ?? packagedExtensionExecutable(arch),
      extensionRemedy: props.extensionExecutablePath
        ? ''
        : `This copy of the package was built without it (scripts/assemble-assets.mjs copies it from ` +
          `build/lambda-${arch}/dist/); pass options.extensionExecutablePath to use another.`,
      tarball: {
        arch,
        version: this.tailscaleVersion,
        sha256: ts.sha256 ?? fromEnv.sha256,
        tarballPath: ts.tarballPath ?? fromEnv.path,
        cacheDir,
        allowDownload: ts.allowDownload ?? !offline,
        offlineReason: ts.allowDownload === false ? 'tailscale.allowDownload is false' : offline ? 'TSPROXY_CDK_OFFLINE is set' : undefined,
        downloadBaseUrl: ts.downloadBaseUrl ?? TAILSCALE_DOWNLOAD_BASE_URL,
        downloadTimeoutMs: (ts.downloadTimeout ?? cdk.Duration.minutes(2)).toMilliseconds(),
      },
    });

    this.layer = new lambda.LayerVersion(this, 'tailscale-extension', {
      description:
        `tsproxy's Tailscale extension (${LAYER_EXTENSION_PATH}) with Tailscale ${this.tailscaleVersion} ` +
        `(${LAYER_TAILSCALE_PATH}, ${LAYER_TAILSCALED_PATH}), ${arch}`,
      ...props.options,
      code,
      compatibleArchitectures: [this.architecture],
    });
  }

  /**
   * Lets `fn` reach the tailnet: adds the layer (refusing a function of another architecture, which
   * could not run its executables), the extension's variables and read access to the secret.
   */
  public addToFunction(fn: lambda.Function, options: TailscaleFunctionOptions): void {
    if (fn.architecture.name !== this.architecture.name) {
      throw new Error(
        `tsproxy-cdk: ${fn.node.path} is ${fn.architecture.name} but the Tailscale extension layer ` +
          `${this.node.path} is ${this.architecture.name}; create the TailscaleLambdaExtension with ` +
          `architecture: Architecture.${fn.architecture.name === 'arm64' ? 'ARM_64' : 'X86_64'}`,
      );
    }
    fn.addLayers(this.layer);
    const environment: Record<string, string> = { ...options.environment, TS_SECRET_API_KEY: options.secret.secretArn };
    if (options.hostname !== undefined) environment.TS_HOSTNAME = options.hostname;
    if (options.httpProxy) {
      Object.assign(environment, {
        HTTP_PROXY: TailscaleLambdaExtension.PROXY_URL,
        HTTPS_PROXY: TailscaleLambdaExtension.PROXY_URL,
        NO_PROXY: TailscaleLambdaExtension.DIRECT_HOSTS,
        http_proxy: TailscaleLambdaExtension.PROXY_URL,
        https_proxy: TailscaleLambdaExtension.PROXY_URL,
        no_proxy: TailscaleLambdaExtension.DIRECT_HOSTS,
      });
    }
    for (const [name, value] of Object.entries(environment)) fn.addEnvironment(name, value);
    // Also grants kms:Decrypt on the secret's key when it has one.
    options.secret.grantRead(fn);
  }
}
