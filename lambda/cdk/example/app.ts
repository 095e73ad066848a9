// An example app: the proxy in its default form, in every typed option's form (callers, logging, trace
// context and phase metrics included), and on Lambda Managed Instances, each with a caller function
// allowed to invoke its URL. `cdk synth` (or `node example/app.js`
// after `npm run build:test`) writes the templates; CI checks them with cfn-lint.
import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ProxyLogLevel, TailscaleLambdaProxy, TailscaleLambdaProxyPropsOptions } from 'tsproxy-cdk';

class ProxyStack extends cdk.Stack {
  constructor(scope: Construct, id: string, options: (stack: cdk.Stack) => TailscaleLambdaProxyPropsOptions, props?: cdk.StackProps) {
    super(scope, id, props);
    const proxy = new TailscaleLambdaProxy(this, 'tailscale-proxy', {
      tsSecretApiKey: secretsmanager.Secret.fromSecretNameV2(this, 'tailscale-api-key', 'tailscale-api-key'),
      tsHostname: 'lambda-proxy',
      tsAdvertiseTags: 'tag:lambda',
      options: options(this),
    });
    const caller = new lambda.Function(this, 'caller', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => process.env.TS_PROXY_URL;'),
      environment: { TS_PROXY_URL: proxy.lambdaFunctionUrl.url },
    });
    proxy.lambdaFunctionUrl.grantInvokeUrl(caller);
    new cdk.CfnOutput(this, 'ProxyUrl', { value: proxy.lambdaFunctionUrl.url });
  }
}

const app = new cdk.App();
new ProxyStack(app, 'TsproxyDefault', () => ({}));
new ProxyStack(app, 'TsproxyStreamingX86', (stack) => ({
  lambda: {
    functionName: 'tsproxy-streaming',
    architecture: lambda.Architecture.X86_64,
    invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    memorySize: 512,
    timeout: cdk.Duration.minutes(5),
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevel: lambda.ApplicationLogLevel.WARN,
    systemLogLevel: lambda.SystemLogLevel.WARN,
    logGroup: new logs.LogGroup(stack, 'proxy-logs', { retention: logs.RetentionDays.ONE_WEEK }),
  },
  extension: { layerVersionName: 'tsproxy-tailscale-x86' },
  warmer: { functionName: 'tsproxy-warmer', concurrentInvocations: 4 },
  proxy: {
    allowedTargets: ['100.64.0.0/10:*', 'db.tailnet.ts.net:5432'],
    prewarmTargets: ['100.64.0.5:8080'],
    pool: { idleTimeout: cdk.Duration.seconds(3), maxIdlePerTarget: 16 },
    logLevel: ProxyLogLevel.DEBUG,
    callers: [
      {
        grantee: new iam.Role(stack, 'billing', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }),
        allowedTargets: ['db.tailnet.ts.net:5432'],
        diagnose: true,
      },
      { grantee: new iam.Role(stack, 'metrics', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }), allowedTargets: ['100.64.0.5:8080'] },
    ],
    traceContext: false,
    metricPhases: true,
  },
}));
new (class extends cdk.Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const key = new kms.Key(this, 'key');
    const proxy = new TailscaleLambdaProxy(this, 'tailscale-proxy', {
      tsSecretApiKey: new secretsmanager.Secret(this, 'tailscale-key', { encryptionKey: key }),
      tsHostname: 'lambda-proxy-kms',
    });
    new cdk.CfnOutput(this, 'ProxyUrl', { value: proxy.lambdaFunctionUrl.url });
  }
})(app, 'TsproxyOwnSecret');
new ProxyStack(app, 'TsproxyManagedInstances', (stack) => {
  const vpc = new ec2.Vpc(stack, 'vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const capacityProvider = new lambda.CapacityProvider(stack, 'capacity', {
    subnets: vpc.isolatedSubnets,
    securityGroups: [new ec2.SecurityGroup(stack, 'sg', { vpc })],
    architectures: [lambda.Architecture.ARM_64],
  });
  return { lambda: { memorySize: 2048 }, managedInstances: { capacityProvider, perExecutionEnvironmentMaxConcurrency: 64 } };
});
app.synth();
