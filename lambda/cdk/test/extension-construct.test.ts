// TailscaleLambdaExtension on its own, as the tailscale-lambda-extension construct's users use it: the
// seed's README stack with only the import changed, and addToFunction for any function of the layer's
// architecture.
import * as assert from 'assert/strict';
import { describe, test } from 'node:test';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { TailscaleLambdaExtension } from 'tsproxy-cdk';
import { MyStack } from './seed-extension/my-stack';
import { fixtureEnv, inCallerProject, makeFixture, withEnv } from './support';

const fixture = makeFixture('extension-construct');

function inFixture<T>(fn: () => T): T {
  return withEnv(fixtureEnv(fixture), fn);
}

function newStack(): cdk.Stack {
  return new cdk.Stack(new cdk.App(), 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
}

function userFunction(stack: cdk.Stack, architecture: lambda.Architecture): lambda.Function {
  return new lambda.Function(stack, 'users-function', {
    runtime: lambda.Runtime.PYTHON_3_12,
    handler: 'index.handler',
    code: lambda.Code.fromInline('def handler(event, context):\n    return 1\n'),
    architecture,
  });
}

function environmentOf(t: Template): Record<string, string> {
  const fns = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }));
  assert.equal(fns.length, 1);
  return fns[0].Properties.Environment.Variables;
}

describe("the seed's README stack with only the import changed", () => {
  const template = inFixture(() =>
    inCallerProject('my-function', () => {
      // The function's own code is not what this is about: no bundling.
      const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
      return Template.fromStack(new MyStack(app, 'MyStack'));
    }),
  );

  test('one x86_64 layer, as the seed built it, on the x86_64 function', () => {
    const layers = template.findResources('AWS::Lambda::LayerVersion');
    assert.equal(Object.keys(layers).length, 1);
    const [layerId, layer] = Object.entries(layers)[0];
    assert.deepEqual(layer.Properties.CompatibleArchitectures, ['x86_64']);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs20.x',
      Layers: [{ Ref: layerId }],
      Environment: { Variables: { TS_SECRET_API_KEY: 'tailscale-api-key', TS_HOSTNAME: 'my-lambda' } },
    });
  });

  test("the function may read the seed's secret", () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] })]) },
    });
  });
});

describe('addToFunction', () => {
  test("refuses a function of another architecture at synth, naming the one to choose", () => {
    inFixture(() => {
      const stack = newStack();
      const extension = new TailscaleLambdaExtension(stack, 'tailscale');
      const fn = userFunction(stack, lambda.Architecture.ARM_64);
      const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'key', 'tailscale-api-key');
      assert.throws(() => extension.addToFunction(fn, { secret }), /is arm64 but the Tailscale extension layer .* is x86_64; .*architecture: Architecture\.ARM_64/);
    });
  });

  test('adds the layer, the variables, read and decrypt on the secret; no proxy variables unless asked', () => {
    let keyId = '';
    const t = inFixture(() => {
      const stack = newStack();
      const extension = new TailscaleLambdaExtension(stack, 'tailscale', { architecture: lambda.Architecture.ARM_64 });
      const fn = userFunction(stack, lambda.Architecture.ARM_64);
      const key = new kms.Key(stack, 'secret-key');
      keyId = stack.getLogicalId(key.node.defaultChild as cdk.CfnElement);
      const secret = new secretsmanager.Secret(stack, 'key', { encryptionKey: key });
      extension.addToFunction(fn, { secret, hostname: 'my-lambda', environment: { TS_ADVERTISE_TAGS: 'tag:lambda' } });
      return Template.fromStack(stack);
    });
    const env = environmentOf(t);
    assert.deepEqual(Object.keys(env).sort(), ['TS_ADVERTISE_TAGS', 'TS_HOSTNAME', 'TS_SECRET_API_KEY']);
    assert.equal(env.TS_HOSTNAME, 'my-lambda');
    assert.deepEqual(env.TS_SECRET_API_KEY, { Ref: Object.keys(t.findResources('AWS::SecretsManager::Secret'))[0] });
    t.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Layers: [{ Ref: Match.anyValue() }] });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] })]) },
    });
    // The key's own policy lets the function's role decrypt, through Secrets Manager only.
    const roleId = Object.keys(t.findResources('AWS::IAM::Role'))[0];
    const decrypt = t.toJSON().Resources[keyId].Properties.KeyPolicy.Statement.find(
      (s: any) => JSON.stringify(s.Action).includes('kms:Decrypt') && JSON.stringify(s.Principal).includes(roleId),
    );
    assert.ok(decrypt, 'the key policy lets the function role decrypt');
    assert.equal(decrypt.Condition.StringEquals['kms:ViaService'], 'secretsmanager.eu-west-1.amazonaws.com');
  });

  test('with httpProxy the function sends HTTP through tailscaled, AWS and loopback directly', () => {
    const t = inFixture(() => {
      const stack = newStack();
      const extension = new TailscaleLambdaExtension(stack, 'tailscale');
      const fn = userFunction(stack, lambda.Architecture.X86_64);
      extension.addToFunction(fn, { secret: secretsmanager.Secret.fromSecretNameV2(stack, 'key', 'k'), httpProxy: true });
      return Template.fromStack(stack);
    });
    const env = environmentOf(t);
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) assert.equal(env[name], 'http://127.0.0.1:1055', name);
    for (const name of ['NO_PROXY', 'no_proxy']) assert.equal(env[name], TailscaleLambdaExtension.DIRECT_HOSTS, name);
    for (const host of ['127.0.0.1', 'localhost', '.amazonaws.com']) assert.ok(TailscaleLambdaExtension.DIRECT_HOSTS.split(',').includes(host), host);
  });
});
