import * as fs from 'fs';
import * as path from 'path';
import * as cdk from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PACKAGE_VERSION, packagedFunctionZip, requireFile, PACKAGE_ROOT } from './package-assets';
import { proxyEnvironment } from './proxy-environment';
import { TailscaleBinariesOptions, TailscaleLambdaExtension, archOf } from './tailscale-lambda-extension';

/** Log level of tsproxy's bootstrap (`TSPROXY_LOG_LEVEL`). */
export enum ProxyLogLevel {
  DEBUG = 'debug',
  INFO = 'info',
  WARN = 'warn',
  ERROR = 'error',
}

export interface TailscaleLambdaProxyPropsLambdaOption {
  /**
   * Name of the proxy function.
   * @default - a name CloudFormation generates
   */
  readonly functionName?: string;

  /**
   * `false` sets `NODE_TLS_REJECT_UNAUTHORIZED=0`, which tsproxy honours like the Node.js proxy did:
   * the certificates of HTTPS targets are not verified. Prefer `proxy.tlsVerify`.
   * @default true
   */
  readonly nodeTlsRejectUnauthorized?: boolean;

  /**
   * CPU architecture; the function zip and the layer are those of this architecture.
   * @default Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;

  /**
   * How the Function URL answers: `BUFFERED` (responses up to 6 MB) or `RESPONSE_STREAM` (bodies piped
   * through as they arrive, up to 200 MB). Sets both the Function URL and `TSPROXY_INVOKE_MODE`.
   * @default InvokeMode.BUFFERED
   */
  readonly invokeMode?: lambda.InvokeMode;

  /**
   * Memory of the function in MB, which sets its CPU share (shared with tailscaled). 256 keeps a small
   * request's median at that of larger sizes while billing the time spent waiting on the tailnet at half the
   * 512 MB rate; functions that regularly move bodies of a MiB or more are faster and no dearer at 512-1,024
   * (README, "Which memory size").
   * @default 256
   */
  readonly memorySize?: number;

  /**
   * Longest invocation; tsproxy answers 504 shortly before it runs out.
   * @default Duration.minutes(15)
   */
  readonly timeout?: cdk.Duration;

  /**
   * A function zip with `bootstrap` at its root to deploy instead of the packaged one.
   * @default - the zip of this architecture shipped in the package
   */
  readonly codePath?: string;

  /**
   * Format of the function's logs (Lambda's advanced logging controls): `JSON` makes tsproxy's runtime and
   * extension write Lambda's `timestamp`, `level`, `message` and `requestId` fields.
   * @default - Lambda's default (Text)
   */
  readonly loggingFormat?: lambda.LoggingFormat;

  /**
   * Application log level (with `loggingFormat: JSON`); `proxy.logLevel` overrides it for tsproxy.
   * @default - Lambda's default (INFO)
   */
  readonly applicationLogLevel?: lambda.ApplicationLogLevel;

  /**
   * System log level (with `loggingFormat: JSON`): Lambda's own START/END/REPORT lines.
   * @default - Lambda's default (INFO)
   */
  readonly systemLogLevel?: lambda.SystemLogLevel;

  /**
   * The log group the function writes to.
   * @default - `/aws/lambda/<function name>`, created by Lambda
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * More environment variables, e.g. a `TSPROXY_*` setting without a typed option here. A variable the
   * construct sets from its options may not be repeated.
   * @default - none
   */
  readonly environment?: { [name: string]: string };
}

export interface TailscaleLambdaProxyPropsWarmerOption {
  /**
   * Name of the warmer function.
   * @default - a name CloudFormation generates
   */
  readonly functionName?: string;

  /**
   * Number of invocations sent at once every 5 minutes, so about that many execution environments stay warm.
   * @default 3
   */
  readonly concurrentInvocations?: number;
}

/** tsproxy's connection pool (`TSPROXY_POOL*`); unset fields keep the bootstrap's defaults. */
export interface TailscaleLambdaProxyPoolOption {
  /**
   * Keep upstream connections open across invocations.
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Idle connections kept per target.
   * @default - 8, or the environment's concurrency when larger
   */
  readonly maxIdlePerTarget?: number;

  /**
   * Idle connections kept overall.
   * @default - 64, or twice the environment's concurrency when larger
   */
  readonly maxIdleTotal?: number;

  /**
   * Idle time after which a connection is not reused (keep it below the targets' keep-alive timeout).
   * @default Duration.seconds(4)
   */
  readonly idleTimeout?: cdk.Duration;

  /**
   * Requests a connection serves before it is retired.
   * @default 10000
   */
  readonly maxRequestsPerConnection?: number;

  /**
   * Age at which a connection is retired.
   * @default Duration.minutes(10)
   */
  readonly maxAge?: cdk.Duration;
}

/** What tsproxy itself does with requests; unset fields keep the bootstrap's defaults. */
export interface TailscaleLambdaProxyPropsProxyOption {
  /**
   * Only these targets are reached (`TSPROXY_ALLOWED_TARGETS`), e.g. `100.64.0.0/10:443`,
   * `[fd7a:115c:a1e0::/48]:*`, `db.tailnet.ts.net:5432`; others get 403 `TargetNotAllowed`.
   * @default - every target except the sandbox's own addresses
   */
  readonly allowedTargets?: string[];

  /**
   * Targets connected at start-up and on each warmer invocation (`TSPROXY_PREWARM`), `[https://]host:port`.
   * @default - none
   */
  readonly prewarmTargets?: string[];

  /**
   * Connections opened per prewarmed target.
   * @default 2
   */
  readonly prewarmConnections?: number;

  /** Connection pool settings. */
  readonly pool?: TailscaleLambdaProxyPoolOption;

  /**
   * Verify HTTPS targets' certificates and names (`TSPROXY_TLS_VERIFY`).
   * @default true
   */
  readonly tlsVerify?: boolean;

  /**
   * CA bundle for HTTPS targets, a path in the function's environment (e.g. from a layer under /opt).
   * @default - the system's bundle
   */
  readonly tlsCaFile?: string;

  /**
   * Log level; `debug: true` on the construct also turns on debug logs, and this overrides it.
   * @default ProxyLogLevel.INFO
   */
  readonly logLevel?: ProxyLogLevel;

  /**
   * CloudWatch namespace of the `ts-metric-*` metrics.
   * @default "tailscale-service"
   */
  readonly metricsNamespace?: string;

  /**
   * Split each request's latency metric by phase (`TSPROXY_METRICS_PHASES`): `connectLatency`,
   * `socks5Latency` and `tlsLatency` (opening a connection; zero over a pooled one) and `firstByteLatency`
   * (until the target's response head), beside `latency` under the same dimensions.
   * @default false
   */
  readonly metricPhases?: boolean;

  /**
   * Which callers may reach which targets (`TSPROXY_CALLER_POLICY`): each grantee may invoke the Function
   * URL (`lambda:InvokeFunctionUrl` is granted) and reaches only its `allowedTargets`; a caller no entry
   * names gets 403 `CallerNotAllowed`. `allowedTargets` still applies to everyone.
   * @default - every caller IAM lets invoke the URL reaches every allowed target
   */
  readonly callers?: TailscaleLambdaProxyCaller[];

  /**
   * Give targets the invocation's trace context (`X-Amzn-Trace-Id`, and a W3C `traceparent` unless the
   * caller sent one) (`TSPROXY_TRACE_CONTEXT`).
   * @default true
   */
  readonly traceContext?: boolean;

  /**
   * Let every caller send `ts-diagnose: true` to get a diagnosis of a target instead of its answer
   * (`TSPROXY_DIAGNOSE`); a single caller is allowed by its `callers` entry's `diagnose`.
   * @default false
   */
  readonly diagnose?: boolean;
}

/** A caller of the proxy and the targets it may reach. */
export interface TailscaleLambdaProxyCaller {
  /**
   * Who calls: a role (its sessions, e.g. a Lambda function's execution role: pass the function), a user,
   * an `ArnPrincipal` or an `AccountPrincipal` (every principal of the account).
   */
  readonly grantee: iam.IGrantable;

  /** Targets it may reach, in `allowedTargets`'s syntax (`100.64.0.5:443`, `db.tailnet.ts.net:5432`, ...). */
  readonly allowedTargets: string[];

  /**
   * It may ask for a diagnosis (`ts-diagnose: true`) of those targets (`"diagnose": true` in its
   * `TSPROXY_CALLER_POLICY` entry).
   * @default false
   */
  readonly diagnose?: boolean;
}

// What TSPROXY_CALLER_POLICY names a grantee by (lambda/adapter/caller_policy.hpp).
function callerPrincipal(grantee: iam.IGrantable): string {
  const principal = grantee.grantPrincipal;
  // An AccountPrincipal is an ArnPrincipal (of the account's root) too: asked first.
  if (principal instanceof iam.AccountPrincipal) return String(principal.accountId);
  if (principal instanceof iam.ArnPrincipal) return principal.arn;
  const role = principal as Partial<iam.IRole>;
  if (typeof role.roleArn === 'string') return role.roleArn;
  const user = principal as Partial<iam.IUser>;
  if (typeof user.userArn === 'string') return user.userArn;
  throw new Error(
    'tsproxy-cdk: options.proxy.callers: a grantee must be a role (or what has one, like a function), a user, an ArnPrincipal or an AccountPrincipal',
  );
}

/**
 * Run the proxy on Lambda Managed Instances: execution environments on EC2 capacity that serve several
 * invocations at once. tsproxy then runs that many invocation loops on one event loop and one pool.
 */
export interface TailscaleLambdaProxyManagedInstancesOption {
  /** The capacity provider the function runs on (its architecture must be the function's). */
  readonly capacityProvider: lambda.ICapacityProvider;

  /**
   * Invocations one execution environment serves at once (1 to 1600); Lambda passes it to tsproxy as
   * `AWS_LAMBDA_MAX_CONCURRENCY`.
   * @default - Lambda's default (10)
   */
  readonly perExecutionEnvironmentMaxConcurrency?: number;

  /**
   * Memory per vCPU of an execution environment, in GiB (2 to 8).
   * @default - Lambda's default (2)
   */
  readonly executionEnvironmentMemoryGiBPerVCpu?: number;

  /**
   * Fewest execution environments kept.
   * @default - Lambda's default
   */
  readonly minExecutionEnvironments?: number;

  /**
   * Most execution environments started.
   * @default - Lambda's default
   */
  readonly maxExecutionEnvironments?: number;
}

export interface TailscaleLambdaProxyPropsOptions {
  /** Options of the extension's layer version (name, description, removal policy, ...). */
  readonly extension?: lambda.LayerVersionOptions;

  /** The proxy function. */
  readonly lambda?: TailscaleLambdaProxyPropsLambdaOption;

  /**
   * If provided, a separate Lambda function will be created to periodically invoke the Tailscale proxy Lambda
   * function to keep it warm.
   */
  readonly warmer?: TailscaleLambdaProxyPropsWarmerOption;

  /** tsproxy's own behaviour: allow-list, prewarming, pool, TLS, logs. */
  readonly proxy?: TailscaleLambdaProxyPropsProxyOption;

  /**
   * Run on Lambda Managed Instances.
   * @default - ordinary Lambda execution environments
   */
  readonly managedInstances?: TailscaleLambdaProxyManagedInstancesOption;

  /** Where the layer's Tailscale binaries come from (pinned release, cache, download or a tarball). */
  readonly tailscale?: TailscaleBinariesOptions;

  /**
   * tsproxy's extension executable for the layer.
   * @default - the one of the function's architecture shipped in the package
   */
  readonly extensionExecutablePath?: string;
}

export interface TailscaleLambdaProxyProps {
  /**
   * The AWS Secrets Manager secret that holds the Tailscale auth key (or OAuth client secret) as plain text.
   */
  readonly tsSecretApiKey: secretsmanager.ISecret;

  /**
   * The "Machine" name as shown in the Tailscale admin console that identifies the Lambda function.
   */
  readonly tsHostname: string;

  /**
   * Passed as `--advertise-tags` to `tailscale up`. Required when using OAuth client keys.
   * Example: `tag:lambda`
   * @default - none
   */
  readonly tsAdvertiseTags?: string;

  /**
   * Passed as `--exit-node` to `tailscale up`: internet-bound traffic goes through this exit node
   * (Tailscale IP or name).
   * @default - none
   */
  readonly tsExitNode?: string;

  /**
   * When `true`, the extension fails the function's init if the exit node is not reachable; when
   * `false`, it logs a warning and goes on.
   * @default false
   */
  readonly tsExitNodeRequired?: boolean;

  /**
   * Per-attempt timeout in milliseconds of the exit node reachability ping.
   * @default 2000
   */
  readonly tsExitNodePingTimeout?: number;

  /**
   * Number of ping attempts before giving up on the exit node.
   * @default 10
   */
  readonly tsExitNodePingRetries?: number;

  readonly options?: TailscaleLambdaProxyPropsOptions;

  /**
   * Debug logs in the function and the warmer (`DEBUG=true`).
   * @default false
   */
  readonly debug?: boolean;
}

const WARMER_SOURCE = path.join(PACKAGE_ROOT, 'warmer', 'index.js');

function invokeModeName(mode: lambda.InvokeMode): 'buffered' | 'response_stream' {
  if (mode === lambda.InvokeMode.BUFFERED) return 'buffered';
  if (mode === lambda.InvokeMode.RESPONSE_STREAM) return 'response_stream';
  throw new Error(`tsproxy-cdk: unsupported invoke mode '${mode}'`);
}

function checkRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || cdk.Token.isUnresolved(value)) return;
  if (value < min || value > max) throw new Error(`tsproxy-cdk: ${name} must be from ${min} to ${max}, got ${value}`);
}

/**
 * tsproxy on AWS Lambda: a `provided.al2023` function with tsproxy's `bootstrap`, the Tailscale
 * extension layer, read access to the auth key secret, and a Function URL with `AWS_IAM` auth that
 * callers sign with SigV4. A drop-in for the Node.js `TailscaleLambdaProxy`: the same props and
 * members, the same construct ids (so a migrated stack updates the function and keeps its URL).
 */
export class TailscaleLambdaProxy extends Construct {
  /** The Tailscale extension; `extension.layer` is attached to the function. */
  public readonly extension: TailscaleLambdaExtension;

  /** The proxy function. */
  public readonly lambda: lambda.Function;

  /** The Function URL (auth type `AWS_IAM`); grant callers `grantInvokeUrl`. */
  public readonly lambdaFunctionUrl: lambda.FunctionUrl;

  /** The warmer function, when `options.warmer` is given. */
  public readonly warmer?: lambda.Function;

  /** The schedule (every 5 minutes) that runs the warmer, when `options.warmer` is given. */
  public readonly warmerRule?: events.Rule;

  constructor(scope: Construct, id: string, props: TailscaleLambdaProxyProps) {
    super(scope, id);
    const options = props.options ?? {};
    const fnOptions = options.lambda ?? {};
    const architecture = fnOptions.architecture ?? lambda.Architecture.ARM_64;
    const arch = archOf(architecture);
    const invokeMode = fnOptions.invokeMode ?? lambda.InvokeMode.BUFFERED;
    const proxy = options.proxy ?? {};
    const managed = options.managedInstances;

    this.extension = new TailscaleLambdaExtension(this, 'tailscale-proxy-extension', {
      options: options.extension,
      architecture,
      tailscale: options.tailscale,
      extensionExecutablePath: options.extensionExecutablePath,
    });

    const codePath = requireFile(
      fnOptions.codePath ?? packagedFunctionZip(arch),
      `the ${arch} function zip`,
      fnOptions.codePath
        ? ''
        : `This copy of the package was built without it (scripts/assemble-assets.mjs copies it from ` +
            `build/lambda-${arch}/dist/); pass options.lambda.codePath to use another.`,
    );

    const environment = proxyEnvironment({
      secretArn: props.tsSecretApiKey.secretArn,
      hostname: props.tsHostname,
      advertiseTags: props.tsAdvertiseTags,
      exitNode: props.tsExitNode,
      exitNodeRequired: props.tsExitNodeRequired,
      exitNodePingTimeoutMs: props.tsExitNodePingTimeout,
      exitNodePingRetries: props.tsExitNodePingRetries,
      debug: props.debug,
      nodeTlsRejectUnauthorized: fnOptions.nodeTlsRejectUnauthorized,
      invokeMode: invokeModeName(invokeMode),
      allowedTargets: proxy.allowedTargets,
      prewarmTargets: proxy.prewarmTargets,
      prewarmConnections: proxy.prewarmConnections,
      pool: proxy.pool && {
        enabled: proxy.pool.enabled,
        maxIdlePerTarget: proxy.pool.maxIdlePerTarget,
        maxIdleTotal: proxy.pool.maxIdleTotal,
        idleTimeoutMs: proxy.pool.idleTimeout?.toMilliseconds(),
        maxRequestsPerConnection: proxy.pool.maxRequestsPerConnection,
        maxAgeMs: proxy.pool.maxAge?.toMilliseconds(),
      },
      tlsVerify: proxy.tlsVerify,
      tlsCaFile: proxy.tlsCaFile,
      logLevel: proxy.logLevel,
      metricsNamespace: proxy.metricsNamespace,
      metricPhases: proxy.metricPhases,
      callerPolicy: proxy.callers && this.callerPolicy(proxy.callers),
      traceContext: proxy.traceContext,
      diagnose: proxy.diagnose,
      extra: fnOptions.environment,
    });

    this.lambda = new lambda.Function(this, 'tailscale-proxy-lambda', {
      functionName: fnOptions.functionName,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(codePath),
      layers: [this.extension.layer],
      environment,
      timeout: fnOptions.timeout ?? cdk.Duration.minutes(15),
      memorySize: fnOptions.memorySize ?? 256,
      loggingFormat: fnOptions.loggingFormat,
      applicationLogLevelV2: fnOptions.applicationLogLevel,
      systemLogLevelV2: fnOptions.systemLogLevel,
      logGroup: fnOptions.logGroup,
    });
    // Also grants kms:Decrypt on the secret's key when it has one.
    props.tsSecretApiKey.grantRead(this.lambda);
    // Which release runs: the function's bootstrap and extension are this package's version.
    cdk.Tags.of(this.lambda).add('tsproxy:version', PACKAGE_VERSION);

    if (managed) this.useManagedInstances(managed);

    this.lambdaFunctionUrl = this.lambda.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      invokeMode,
    });
    for (const caller of proxy.callers ?? []) this.lambdaFunctionUrl.grantInvokeUrl(caller.grantee);

    if (options.warmer) {
      const concurrentInvocations = options.warmer.concurrentInvocations ?? 3;
      checkRange('options.warmer.concurrentInvocations', concurrentInvocations, 1, 100);
      if (managed) {
        cdk.Annotations.of(this).addWarningV2(
          'tsproxy-cdk:warmerWithManagedInstances',
          'Managed Instances keep execution environments running; the warmer only refreshes prewarmed connections there.',
        );
      }
      this.warmer = new lambda.Function(this, 'proxy-warmer-lambda', {
        functionName: options.warmer.functionName,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        // Small enough to be inlined into the template: no asset, no bundling step.
        code: lambda.Code.fromInline(fs.readFileSync(WARMER_SOURCE, 'utf8')),
        handler: 'index.handler',
        environment: {
          ...(props.debug ? { DEBUG: 'true' } : {}),
          TARGET_FUNCTION_NAME: this.lambda.functionName,
          CONCURRENT_INVOCATIONS: concurrentInvocations.toString(),
        },
        timeout: cdk.Duration.minutes(1),
        memorySize: 128,
        retryAttempts: 1,
      });
      this.lambda.grantInvoke(this.warmer);

      this.warmerRule = new events.Rule(this, 'proxy-warmer-rule', {
        schedule: events.Schedule.rate(cdk.Duration.minutes(5)),
      });
      this.warmerRule.addTarget(
        new targets.LambdaFunction(this.warmer, {
          event: events.RuleTargetInput.fromObject({
            targetFunctionName: this.lambda.functionName,
            concurrentInvocations,
          }),
        }),
      );
    }
  }

  // aws-cdk-lib's CapacityProvider.addFunction exists only on the class, not on ICapacityProvider (an
  // imported provider), so the function's L1 properties are set here for both, as addFunction sets them.
  // TSPROXY_CALLER_POLICY's JSON; role and user ARNs may be tokens, which the stack resolves at deploy.
  private callerPolicy(callers: TailscaleLambdaProxyCaller[]): string {
    if (callers.length === 0) {
      throw new Error('tsproxy-cdk: options.proxy.callers is empty, which would refuse every caller; omit it instead');
    }
    const entries = callers.map((caller, i) => {
      const targets = caller.allowedTargets.map((t) => t.trim());
      if (targets.length === 0 || targets.some((t) => t === '' || (!cdk.Token.isUnresolved(t) && t.includes(',')))) {
        throw new Error(`tsproxy-cdk: options.proxy.callers[${i}].allowedTargets needs entries without commas`);
      }
      const entry = { principal: callerPrincipal(caller.grantee), allowedTargets: targets.join(',') };
      return caller.diagnose ? { ...entry, diagnose: true } : entry;
    });
    return cdk.Stack.of(this).toJsonString(entries);
  }

  private useManagedInstances(m: TailscaleLambdaProxyManagedInstancesOption): void {
    checkRange('managedInstances.perExecutionEnvironmentMaxConcurrency', m.perExecutionEnvironmentMaxConcurrency, 1, 1600);
    checkRange('managedInstances.executionEnvironmentMemoryGiBPerVCpu', m.executionEnvironmentMemoryGiBPerVCpu, 2, 8);
    checkRange('managedInstances.minExecutionEnvironments', m.minExecutionEnvironments, 0, 15000);
    checkRange('managedInstances.maxExecutionEnvironments', m.maxExecutionEnvironments, 0, 15000);
    if (
      m.minExecutionEnvironments !== undefined &&
      m.maxExecutionEnvironments !== undefined &&
      m.minExecutionEnvironments > m.maxExecutionEnvironments
    ) {
      throw new Error('tsproxy-cdk: managedInstances.minExecutionEnvironments is above maxExecutionEnvironments');
    }
    const cfn = this.lambda.node.defaultChild as lambda.CfnFunction;
    cfn.capacityProviderConfig = {
      lambdaManagedInstancesCapacityProviderConfig: {
        capacityProviderArn: m.capacityProvider.capacityProviderArn,
        perExecutionEnvironmentMaxConcurrency: m.perExecutionEnvironmentMaxConcurrency,
        executionEnvironmentMemoryGiBPerVCpu: m.executionEnvironmentMemoryGiBPerVCpu,
      },
    };
    if (m.minExecutionEnvironments !== undefined || m.maxExecutionEnvironments !== undefined) {
      cfn.functionScalingConfig = {
        minExecutionEnvironments: m.minExecutionEnvironments,
        maxExecutionEnvironments: m.maxExecutionEnvironments,
      };
    }
  }
}
