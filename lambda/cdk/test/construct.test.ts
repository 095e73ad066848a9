import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { describe, test } from 'node:test';
import * as cdk from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ProxyLogLevel, TailscaleLambdaExtension, TailscaleLambdaProxy, TailscaleLambdaProxyProps, TailscaleRelease } from 'tsproxy-cdk';
import { ARCHES, PACKAGE_DIR, fixtureEnv, makeFixture, withEnv } from './support';

const fixture = makeFixture('construct');

interface Built {
  stack: cdk.Stack;
  proxy: TailscaleLambdaProxy;
  template: Template;
}

function build(props: Partial<TailscaleLambdaProxyProps> = {}, setup?: (stack: cdk.Stack) => Partial<TailscaleLambdaProxyProps>): Built {
  return withEnv(fixtureEnv(fixture), () => {
    const app = new cdk.App();
    const stack = new cdk.Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const more = setup ? setup(stack) : {};
    const proxy = new TailscaleLambdaProxy(stack, 'tailscale-proxy', {
      tsSecretApiKey: secretsmanager.Secret.fromSecretNameV2(stack, 'tailscale-api-key', 'tailscale-api-key'),
      tsHostname: 'lambda-test',
      ...props,
      ...more,
    });
    return { stack, proxy, template: Template.fromStack(stack) };
  });
}

function proxyFunction(t: Template): { logicalId: string; props: Record<string, any> } {
  const fns = t.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'provided.al2023' } });
  const ids = Object.keys(fns);
  assert.equal(ids.length, 1);
  return { logicalId: ids[0], props: fns[ids[0]].Properties };
}

function assetHashOf(zip: string): string {
  // CDK names a file asset after its fingerprint, a hash of the file's bytes.
  return cdk.FileSystem.fingerprint(zip);
}

describe('defaults (the Node.js construct\'s props only)', () => {
  const { proxy, template: t } = build();

  test('the function is tagged with the release it runs (the package version, the executables\' own)', () => {
    const version = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')).version;
    assert.match(version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(proxyFunction(t).props.Tags, [{ Key: 'tsproxy:version', Value: version }]);
  });

  test('one provided.al2023 arm64 function with handler bootstrap, 256 MB, 15 minutes, the packaged zip', () => {
    const fn = proxyFunction(t);
    assert.equal(fn.props.Handler, 'bootstrap');
    assert.deepEqual(fn.props.Architectures, ['arm64']);
    assert.equal(fn.props.MemorySize, 256);
    assert.equal(fn.props.Timeout, 900);
    assert.equal(fn.props.Code.S3Key, `${assetHashOf(fixture.functionZip.arm64)}.zip`);
    assert.deepEqual(fn.props.Layers, [{ Ref: Object.keys(t.findResources('AWS::Lambda::LayerVersion'))[0] }]);
  });

  test('exactly these resources: layer, function, its role and policy, the URL', () => {
    t.resourceCountIs('AWS::Lambda::Function', 1);
    t.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    t.resourceCountIs('AWS::Lambda::Url', 1);
    t.resourceCountIs('AWS::IAM::Role', 1);
    t.resourceCountIs('AWS::IAM::Policy', 1);
    t.resourceCountIs('AWS::Events::Rule', 0);
    t.resourceCountIs('AWS::Lambda::Permission', 0);
    assert.equal(Object.keys(t.toJSON().Resources).length, 5);
  });

  test('environment: the secret ARN, the host name and the invoke mode, nothing else', () => {
    const env = proxyFunction(t).props.Environment.Variables;
    assert.deepEqual(Object.keys(env).sort(), ['TSPROXY_INVOKE_MODE', 'TS_HOSTNAME', 'TS_SECRET_API_KEY']);
    assert.equal(env.TS_HOSTNAME, 'lambda-test');
    assert.equal(env.TSPROXY_INVOKE_MODE, 'buffered');
    assert.deepEqual(env.TS_SECRET_API_KEY, {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:eu-west-1:123456789012:secret:tailscale-api-key']],
    });
  });

  test('the Function URL has AuthType AWS_IAM and InvokeMode BUFFERED', () => {
    t.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      InvokeMode: 'BUFFERED',
      TargetFunctionArn: { 'Fn::GetAtt': [proxyFunction(t).logicalId, 'Arn'] },
    });
  });

  test('the function may read the secret, and nothing else', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:eu-west-1:123456789012:secret:tailscale-api-key-??????']],
            },
          },
        ],
      },
    });
  });

  test('the layer: arm64, the assembled zip, described with the Tailscale version', () => {
    t.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['arm64'],
      Description: Match.stringLikeRegexp(`Tailscale ${TailscaleRelease.VERSION}`),
    });
    assert.equal(proxy.extension.architecture, lambda.Architecture.ARM_64);
    assert.equal(proxy.extension.tailscaleVersion, TailscaleRelease.VERSION);
  });

  test('the members of the Node.js construct: extension.layer, lambda, lambdaFunctionUrl; no warmer', () => {
    assert.ok(proxy.extension instanceof TailscaleLambdaExtension);
    assert.ok(proxy.extension.layer instanceof lambda.LayerVersion);
    assert.ok(proxy.lambda instanceof lambda.Function);
    assert.ok(proxy.lambdaFunctionUrl instanceof lambda.FunctionUrl);
    assert.equal(proxy.lambdaFunctionUrl.authType, lambda.FunctionUrlAuthType.AWS_IAM);
    assert.equal(proxy.warmer, undefined);
    assert.equal(proxy.warmerRule, undefined);
  });
});

test('the function and its URL keep the Node.js construct\'s logical ids (a migration updates them in place)', () => {
  const { stack } = build();
  // The Node.js construct's tree: tailscale-proxy/tailscale-proxy-lambda and its FunctionUrl.
  const other = new cdk.Stack(new cdk.App(), 'Other');
  const scope = new Construct(other, 'tailscale-proxy');
  const fn = new lambda.Function(scope, 'tailscale-proxy-lambda', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
  const proxy = stack.node.findChild('tailscale-proxy') as TailscaleLambdaProxy;
  assert.equal(stack.getLogicalId(proxy.lambda.node.defaultChild as cdk.CfnElement), other.getLogicalId(fn.node.defaultChild as cdk.CfnElement));
  assert.equal(
    stack.getLogicalId(proxy.lambdaFunctionUrl.node.defaultChild as cdk.CfnElement),
    other.getLogicalId(url.node.defaultChild as cdk.CfnElement),
  );
});

describe('both architectures', () => {
  for (const arch of ARCHES) {
    test(`${arch}: function, layer and both zips of that architecture`, () => {
      const architecture = arch === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
      const { template: t, proxy } = build({ options: { lambda: { architecture } } });
      const fn = proxyFunction(t);
      assert.deepEqual(fn.props.Architectures, [arch]);
      assert.equal(fn.props.Code.S3Key, `${assetHashOf(fixture.functionZip[arch])}.zip`);
      t.hasResourceProperties('AWS::Lambda::LayerVersion', { CompatibleArchitectures: [arch], Description: Match.stringLikeRegexp(`, ${arch}$`) });
      assert.equal(proxy.extension.architecture, architecture);
    });
  }

  test('the two layers differ (each holds its own architecture\'s binaries)', () => {
    const a = build({ options: { lambda: { architecture: lambda.Architecture.ARM_64 } } }).template;
    const x = build({ options: { lambda: { architecture: lambda.Architecture.X86_64 } } }).template;
    const key = (t: Template) => Object.values(t.findResources('AWS::Lambda::LayerVersion'))[0].Properties.Content.S3Key;
    assert.notEqual(key(a), key(x));
  });

  test('a synth twice gives the same layer asset (byte-stable zip)', () => {
    const key = (t: Template) => Object.values(t.findResources('AWS::Lambda::LayerVersion'))[0].Properties.Content.S3Key;
    assert.equal(key(build().template), key(build().template));
  });

  test('an architecture tsproxy is not built for is refused', () => {
    assert.throws(() => build({ options: { lambda: { architecture: lambda.Architecture.custom('riscv64') } } }), /unsupported architecture 'riscv64'/);
  });
});

describe('both invoke modes', () => {
  for (const [mode, name] of [
    [lambda.InvokeMode.BUFFERED, 'buffered'],
    [lambda.InvokeMode.RESPONSE_STREAM, 'response_stream'],
  ] as const) {
    test(`${mode}: the URL's InvokeMode and TSPROXY_INVOKE_MODE agree`, () => {
      const { template: t } = build({ options: { lambda: { invokeMode: mode } } });
      t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: mode });
      assert.equal(proxyFunction(t).props.Environment.Variables.TSPROXY_INVOKE_MODE, name);
    });
  }
});

describe('the warmer', () => {
  const { template: t, proxy, stack } = build({ debug: true, options: { warmer: { functionName: 'proxy-warmer', concurrentInvocations: 5 } } });
  const proxyId = proxyFunction(t).logicalId;

  test('a Node.js function with the inlined warmer, its name, 1 minute, 128 MB, one retry', () => {
    const source = fs.readFileSync(path.join(PACKAGE_DIR, 'warmer', 'index.js'), 'utf8');
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'proxy-warmer',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Code: { ZipFile: source },
      Timeout: 60,
      MemorySize: 128,
      Environment: { Variables: { DEBUG: 'true', TARGET_FUNCTION_NAME: { Ref: proxyId }, CONCURRENT_INVOCATIONS: '5' } },
    });
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 1 });
    assert.ok(proxy.warmer instanceof lambda.Function);
  });

  test('a rule every 5 minutes sends {targetFunctionName, concurrentInvocations}', () => {
    t.resourceCountIs('AWS::Events::Rule', 1);
    const rule = Object.values(t.findResources('AWS::Events::Rule'))[0].Properties;
    assert.equal(rule.ScheduleExpression, 'rate(5 minutes)');
    assert.equal(rule.State, 'ENABLED');
    assert.equal(rule.Targets.length, 1);
    const input = JSON.parse(JSON.stringify(stack.resolve(rule.Targets[0].Input)));
    assert.deepEqual(input, { 'Fn::Join': ['', ['{"targetFunctionName":"', { Ref: proxyId }, '","concurrentInvocations":5}']] });
    assert.ok(proxy.warmerRule !== undefined);
    t.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
  });

  test('the warmer may invoke the proxy', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: [{ 'Fn::GetAtt': [proxyId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [proxyId, 'Arn'] }, ':*']] }],
          },
        ],
      },
    });
  });

  test('concurrentInvocations defaults to 3 and must be 1 to 100', () => {
    const d = build({ options: { warmer: {} } }).template;
    d.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { CONCURRENT_INVOCATIONS: '3' } } });
    assert.throws(() => build({ options: { warmer: { concurrentInvocations: 0 } } }), /concurrentInvocations must be from 1 to 100/);
  });
});

describe('options', () => {
  test('the Node.js options: functionName, nodeTlsRejectUnauthorized, extension layer options, debug', () => {
    const { template: t } = build({
      debug: true,
      options: {
        lambda: { functionName: 'tailscale-proxy', nodeTlsRejectUnauthorized: false },
        extension: { layerVersionName: 'tailscale-extension', description: 'mine' },
      },
    });
    const fn = proxyFunction(t).props;
    assert.equal(fn.FunctionName, 'tailscale-proxy');
    assert.equal(fn.Environment.Variables.NODE_TLS_REJECT_UNAUTHORIZED, '0');
    assert.equal(fn.Environment.Variables.DEBUG, 'true');
    t.hasResourceProperties('AWS::Lambda::LayerVersion', { LayerName: 'tailscale-extension', Description: 'mine' });
  });

  test('the Tailscale props become the extension\'s variables', () => {
    const { template: t } = build({
      tsAdvertiseTags: 'tag:lambda',
      tsExitNode: '100.64.0.9',
      tsExitNodeRequired: true,
      tsExitNodePingTimeout: 1500,
      tsExitNodePingRetries: 4,
    });
    const env = proxyFunction(t).props.Environment.Variables;
    assert.equal(env.TS_ADVERTISE_TAGS, 'tag:lambda');
    assert.equal(env.TS_EXIT_NODE, '100.64.0.9');
    assert.equal(env.TS_EXIT_NODE_REQUIRED, 'true');
    assert.equal(env.TS_EXIT_NODE_PING_TIMEOUT, '1500');
    assert.equal(env.TS_EXIT_NODE_PING_RETRIES, '4');
  });

  test('memory, timeout and the proxy options become the bootstrap\'s variables', () => {
    const { template: t } = build({
      options: {
        lambda: { memorySize: 512, timeout: cdk.Duration.minutes(2), environment: { TSPROXY_REQUEST_TIMEOUT_MS: '20000' } },
        proxy: {
          allowedTargets: ['100.64.0.0/10:443', 'db.tailnet.ts.net:5432'],
          prewarmTargets: ['https://api.tailnet.ts.net:443', '100.64.0.5:8080'],
          prewarmConnections: 4,
          pool: {
            enabled: true,
            maxIdlePerTarget: 16,
            maxIdleTotal: 128,
            idleTimeout: cdk.Duration.seconds(3),
            maxRequestsPerConnection: 500,
            maxAge: cdk.Duration.minutes(5),
          },
          tlsVerify: false,
          tlsCaFile: '/opt/ca.pem',
          logLevel: ProxyLogLevel.WARN,
          metricsNamespace: 'mine',
        },
      },
    });
    const fn = proxyFunction(t).props;
    assert.equal(fn.MemorySize, 512);
    assert.equal(fn.Timeout, 120);
    assert.deepEqual(fn.Environment.Variables, {
      TSPROXY_ALLOWED_TARGETS: '100.64.0.0/10:443,db.tailnet.ts.net:5432',
      TSPROXY_INVOKE_MODE: 'buffered',
      TSPROXY_LOG_LEVEL: 'warn',
      TSPROXY_METRICS_NAMESPACE: 'mine',
      TSPROXY_POOL: 'true',
      TSPROXY_POOL_IDLE_TIMEOUT_MS: '3000',
      TSPROXY_POOL_MAX_AGE_MS: '300000',
      TSPROXY_POOL_MAX_IDLE_PER_TARGET: '16',
      TSPROXY_POOL_MAX_IDLE_TOTAL: '128',
      TSPROXY_POOL_MAX_REQUESTS: '500',
      TSPROXY_PREWARM: 'https://api.tailnet.ts.net:443,100.64.0.5:8080',
      TSPROXY_PREWARM_CONNECTIONS: '4',
      TSPROXY_REQUEST_TIMEOUT_MS: '20000',
      TSPROXY_TLS_CA_FILE: '/opt/ca.pem',
      TSPROXY_TLS_VERIFY: 'false',
      TS_HOSTNAME: 'lambda-test',
      TS_SECRET_API_KEY: fn.Environment.Variables.TS_SECRET_API_KEY,
    });
  });

  test('a value the bootstrap would refuse at init fails the synth', () => {
    assert.throws(() => build({ options: { proxy: { prewarmConnections: 65 } } }), /prewarmConnections must be a whole number from 1 to 64/);
    assert.throws(() => build({ options: { proxy: { allowedTargets: ['a:1,b:2'] } } }), /holds a comma/);
    assert.throws(() => build({ options: { lambda: { environment: { TSPROXY_INVOKE_MODE: 'x' } } } }), /sets TSPROXY_INVOKE_MODE/);
    assert.throws(() => build({ tsHostname: ' ' }), /tsHostname must not be empty/);
  });

  test('a function zip of one\'s own replaces the packaged one', () => {
    const { template: t } = build({ options: { lambda: { codePath: fixture.functionZip.x86_64 } } });
    assert.equal(proxyFunction(t).props.Code.S3Key, `${assetHashOf(fixture.functionZip.x86_64)}.zip`);
  });
});

describe('callers, trace context and logging', () => {
  test('each caller may invoke the URL and is named in TSPROXY_CALLER_POLICY with its targets', () => {
    let callerRole: iam.Role | undefined;
    const { template: t } = build({}, (stack) => {
      callerRole = new iam.Role(stack, 'billing', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      const user = iam.User.fromUserArn(stack, 'ops', 'arn:aws:iam::123456789012:user/ops');
      return {
        options: {
          proxy: {
            callers: [
              { grantee: callerRole, allowedTargets: ['100.64.0.5:443'] },
              { grantee: user, allowedTargets: ['100.64.0.0/10:*', 'db.tailnet.ts.net:5432'] },
              { grantee: new iam.AccountPrincipal('444455556666'), allowedTargets: ['100.64.0.9:9090'], diagnose: true },
            ],
          },
        },
      };
    });
    const policy = proxyFunction(t).props.Environment.Variables.TSPROXY_CALLER_POLICY;
    // The role's ARN is a token, resolved at deploy: the value is an Fn::Join around it.
    const joined = JSON.stringify(policy);
    assert.match(joined, /Fn::Join/);
    assert.match(joined, /billing[A-Z0-9]+.*Arn/);
    assert.ok(joined.includes('100.64.0.5:443'));
    assert.ok(joined.includes('arn:aws:iam::123456789012:user/ops'));
    assert.ok(joined.includes('100.64.0.0/10:*,db.tailnet.ts.net:5432'));
    assert.ok(joined.includes('\\"principal\\":\\"444455556666\\"'), joined);
    // Only the entry that says so may diagnose.
    assert.ok(joined.includes('\\"allowedTargets\\":\\"100.64.0.9:9090\\",\\"diagnose\\":true'), joined);
    assert.equal(joined.match(/diagnose/g)?.length, 1, joined);
    // The role is granted lambda:InvokeFunctionUrl on this function, for AuthType AWS_IAM.
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'lambda:InvokeFunctionUrl',
            Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^billing') }],
    });
  });

  test('an empty caller list, a target list with a comma and an unknown kind of grantee fail the synth', () => {
    assert.throws(() => build({ options: { proxy: { callers: [] } } }), /callers is empty/);
    assert.throws(
      () => build({}, (stack) => ({ options: { proxy: { callers: [{ grantee: new iam.Role(stack, 'r', { assumedBy: new iam.AccountRootPrincipal() }), allowedTargets: ['a:1,b:2'] }] } } })),
      /allowedTargets needs entries without commas/,
    );
    assert.throws(
      () => build({ options: { proxy: { callers: [{ grantee: { grantPrincipal: new iam.ServicePrincipal('sns.amazonaws.com') }, allowedTargets: ['a:1'] }] } } }),
      /a grantee must be/,
    );
  });

  test('diagnose true lets every caller diagnose; by default the variable is not written', () => {
    assert.equal(proxyFunction(build().template).props.Environment.Variables.TSPROXY_DIAGNOSE, undefined);
    const on = build({ options: { proxy: { diagnose: true } } });
    assert.equal(proxyFunction(on.template).props.Environment.Variables.TSPROXY_DIAGNOSE, 'true');
  });

  test('traceContext false turns the trace headers off; by default the variable is not written', () => {
    assert.equal(proxyFunction(build().template).props.Environment.Variables.TSPROXY_TRACE_CONTEXT, undefined);
    const off = build({ options: { proxy: { traceContext: false } } });
    assert.equal(proxyFunction(off.template).props.Environment.Variables.TSPROXY_TRACE_CONTEXT, 'false');
  });

  test('metricPhases writes TSPROXY_METRICS_PHASES; by default the variable is not written', () => {
    assert.equal(proxyFunction(build().template).props.Environment.Variables.TSPROXY_METRICS_PHASES, undefined);
    const on = build({ options: { proxy: { metricPhases: true } } });
    assert.equal(proxyFunction(on.template).props.Environment.Variables.TSPROXY_METRICS_PHASES, 'true');
  });

  test('Lambda\'s logging controls: JSON format, levels and a log group of one\'s own', () => {
    const { template: t } = build({}, (stack) => ({
      options: {
        lambda: {
          loggingFormat: lambda.LoggingFormat.JSON,
          applicationLogLevel: lambda.ApplicationLogLevel.WARN,
          systemLogLevel: lambda.SystemLogLevel.WARN,
          logGroup: new logs.LogGroup(stack, 'proxy-logs', { retention: logs.RetentionDays.ONE_WEEK }),
        },
      },
    }));
    const config = proxyFunction(t).props.LoggingConfig;
    assert.equal(config.LogFormat, 'JSON');
    assert.equal(config.ApplicationLogLevel, 'WARN');
    assert.equal(config.SystemLogLevel, 'WARN');
    assert.deepEqual(config.LogGroup, { Ref: Object.keys(t.findResources('AWS::Logs::LogGroup'))[0] });
  });
});

describe('the secret', () => {
  test('a secret with a KMS key: the function may also decrypt with that key (through Secrets Manager)', () => {
    let keyId = '';
    const { template: t, stack } = build({}, (stack) => {
      const key = new kms.Key(stack, 'key');
      keyId = stack.getLogicalId(key.node.defaultChild as cdk.CfnElement);
      return { tsSecretApiKey: new secretsmanager.Secret(stack, 'secret', { encryptionKey: key }) };
    });
    const roleId = Object.keys(t.findResources('AWS::IAM::Role'))[0];
    const policy = t.toJSON().Resources[keyId].Properties.KeyPolicy.Statement;
    const decrypt = policy.find((s: any) => JSON.stringify(s.Action).includes('kms:Decrypt') && JSON.stringify(s.Principal).includes(roleId));
    assert.ok(decrypt, 'the key policy lets the function role decrypt');
    assert.deepEqual(decrypt.Condition.StringEquals['kms:ViaService'], 'secretsmanager.eu-west-1.amazonaws.com');
    const secretId = Object.keys(t.findResources('AWS::SecretsManager::Secret'))[0];
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: secretId } })]) },
    });
    assert.deepEqual(stack.resolve(proxyFunction(t).props.Environment.Variables.TS_SECRET_API_KEY), { Ref: secretId });
  });
});

describe('Lambda Managed Instances', () => {
  function withProvider(options: object) {
    return build({}, (stack) => {
      const vpc = new ec2.Vpc(stack, 'vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const provider = new lambda.CapacityProvider(stack, 'capacity', {
        subnets: vpc.isolatedSubnets,
        securityGroups: [new ec2.SecurityGroup(stack, 'sg', { vpc })],
        architectures: [lambda.Architecture.ARM_64],
      });
      return { options: { warmer: {}, managedInstances: { capacityProvider: provider, ...options } } };
    });
  }

  test('the function runs on the capacity provider with the concurrency per environment', () => {
    const { template: t } = withProvider({ perExecutionEnvironmentMaxConcurrency: 64, executionEnvironmentMemoryGiBPerVCpu: 4, minExecutionEnvironments: 1, maxExecutionEnvironments: 3 });
    const providerId = Object.keys(t.findResources('AWS::Lambda::CapacityProvider'))[0];
    const fn = proxyFunction(t).props;
    assert.deepEqual(fn.CapacityProviderConfig, {
      LambdaManagedInstancesCapacityProviderConfig: {
        CapacityProviderArn: { 'Fn::GetAtt': [providerId, 'Arn'] },
        PerExecutionEnvironmentMaxConcurrency: 64,
        ExecutionEnvironmentMemoryGiBPerVCpu: 4,
      },
    });
    assert.deepEqual(fn.FunctionScalingConfig, { MinExecutionEnvironments: 1, MaxExecutionEnvironments: 3 });
    t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
  });

  test('an imported provider works too; the warmer gets a warning there', () => {
    const { stack, template: t } = build({}, (stack) => ({
      options: {
        warmer: {},
        managedInstances: { capacityProvider: lambda.CapacityProvider.fromCapacityProviderName(stack, 'imported', 'shared') },
      },
    }));
    assert.deepEqual(proxyFunction(t).props.CapacityProviderConfig.LambdaManagedInstancesCapacityProviderConfig.CapacityProviderArn, {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:eu-west-1:123456789012:capacity-provider:shared']],
    });
    assert.equal(proxyFunction(t).props.FunctionScalingConfig, undefined);
    Annotations.fromStack(stack).hasWarning('/Stack/tailscale-proxy', Match.stringLikeRegexp('Managed Instances keep execution environments running'));
  });

  test('values outside Lambda\'s ranges fail the synth', () => {
    assert.throws(() => withProvider({ perExecutionEnvironmentMaxConcurrency: 0 }), /from 1 to 1600/);
    assert.throws(() => withProvider({ minExecutionEnvironments: 4, maxExecutionEnvironments: 2 }), /above maxExecutionEnvironments/);
  });
});

describe('what the construct needs', () => {
  test('a package built without its zips says which file is missing and how to get it', () => {
    withEnv({ ...fixtureEnv(fixture), TSPROXY_CDK_ASSET_DIR: path.join(fixture.dir, 'empty') }, () => {
      const stack = new cdk.Stack(new cdk.App(), 'S');
      assert.throws(
        () => new TailscaleLambdaProxy(stack, 'p', { tsSecretApiKey: secretsmanager.Secret.fromSecretNameV2(stack, 'k', 'k'), tsHostname: 'h' }),
        /the arm64 extension executable .*tsproxy-tailscale-arm64 does not exist\. .*build\/lambda-arm64\/dist/,
      );
    });
  });

  test('offline without a tarball: the synth stops with what to download', () => {
    withEnv({ ...fixtureEnv(fixture), TSPROXY_CDK_TAILSCALE_TARBALL_ARM64: undefined, TSPROXY_CDK_TAILSCALE_SHA256_ARM64: undefined, TSPROXY_CDK_CACHE_DIR: path.join(fixture.dir, 'empty-cache') }, () => {
      const stack = new cdk.Stack(new cdk.App(), 'S');
      assert.throws(
        () => new TailscaleLambdaProxy(stack, 'p', { tsSecretApiKey: secretsmanager.Secret.fromSecretNameV2(stack, 'k', 'k'), tsHostname: 'h' }),
        new RegExp(`downloads are off \\(TSPROXY_CDK_OFFLINE is set\\)\\. Download https://pkgs\\.tailscale\\.com/stable/tailscale_${TailscaleRelease.VERSION.replace(/\./g, '\\.')}_arm64\\.tgz \\(SHA-256 ${TailscaleRelease.sha256(lambda.Architecture.ARM_64)}\\)`),
      );
    });
  });

  test('a tarball given in the props wins over the environment, and is hash-checked', () => {
    assert.throws(
      () => build({ options: { tailscale: { tarballPath: fixture.tarball.x86_64.path } } }),
      new RegExp(`tailscale\\.tarballPath .* has SHA-256 ${fixture.tarball.x86_64.sha256}, expected ${fixture.tarball.arm64.sha256}`),
    );
  });
});
