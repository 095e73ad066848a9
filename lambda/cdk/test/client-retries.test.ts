import * as assert from 'assert/strict';
import { after, describe, test } from 'node:test';
import {
  RetryPolicy,
  TailscaleProxyClient,
  TailscaleProxyClientOptions,
  defaultCredentialProvider,
  isRetryableAnswer,
  mayResend,
} from 'tsproxy-cdk/client';
import { ScriptedServer, Step } from './scripted-server';

const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const TARGET = { ip: '100.64.0.5', port: 8080 };
const THROTTLED: Step = { status: 429, headers: { 'x-amzn-ErrorType': 'TooManyRequestsException' } };
const FRONT_END_502: Step = { status: 502, headers: { 'content-type': 'application/json' } };
const PROXY_502: Step = { status: 502, headers: { 'ts-error-name': 'Socks5TargetUnreachable', 'ts-error-message': 'unreachable' } };

const opened: { close(): void }[] = [];
after(() => opened.forEach((o) => o.close()));

async function serve(...script: Step[]): Promise<ScriptedServer> {
  const server = await new ScriptedServer(script).start();
  opened.push(server);
  return server;
}

function client(url: string, extra: Partial<TailscaleProxyClientOptions> = {}): { client: TailscaleProxyClient; waits: number[] } {
  const c = new TailscaleProxyClient({ url, region: 'eu-west-1', credentials: CREDS, target: TARGET, timeoutMs: 5000, maxAttempts: 3, ...extra });
  opened.push(c);
  const waits: number[] = [];
  c.sleep = async (ms) => void waits.push(ms);
  return { client: c, waits };
}

describe('replays after a reset', () => {
  test('a GET reset before or after the server read it is sent again', async () => {
    for (const step of ['reset-before-read', 'reset-after-read'] as const) {
      const server = await serve(step, step);
      assert.equal((await client(server.url).client.request({ path: '/' })).text(), 'ok');
      assert.equal(server.attempts, 3, step);
      assert.equal(server.connections, 3, step);
    }
  });

  test('a POST whose bytes were written is never sent twice', async () => {
    for (const step of ['reset-before-read', 'reset-after-read'] as const) {
      const server = await serve(step, step);
      await assert.rejects(client(server.url).client.request({ method: 'POST', path: '/charge', body: 'once' }), /ECONNRESET|socket hang up/);
      assert.equal(server.attempts, 1, step);
    }
  });

  test('a POST reset on a reused keep-alive connection is not sent again', async () => {
    const server = await serve({ status: 200 }, 'reset-before-read', 'reset-before-read');
    const { client: c } = client(server.url);
    await c.request({ method: 'POST', body: 'first' });
    await assert.rejects(c.request({ method: 'POST', body: 'second' }), /ECONNRESET|socket hang up/);
    assert.deepEqual([server.attempts, server.connections], [2, 1]);
  });

  test('a POST whose connection was refused is sent again: no byte of it was written', async () => {
    const server = await serve();
    server.close();
    await new Promise((resolve) => setImmediate(resolve));
    const { client: c, waits } = client(server.url);
    await assert.rejects(c.request({ method: 'POST', body: 'x' }), /ECONNREFUSED/);
    assert.equal(waits.length, 2);
  });
});

describe('retried answers', () => {
  test('Lambda throttling: a POST is returned, a GET is retried until answered', async () => {
    const server = await serve(THROTTLED, THROTTLED);
    const { client: c, waits } = client(server.url);
    assert.equal((await c.request({ method: 'POST', body: 'x' })).statusCode, 429);
    assert.equal(server.attempts, 1);
    assert.equal((await c.request({ path: '/' })).statusCode, 200);
    assert.equal(server.attempts, 3);
    assert.equal(waits.length, 1);
  });

  test('a front-end 5xx is retried up to maxAttempts; tsproxy\'s own 5xx and a target\'s 429 are answers', async () => {
    const server = await serve(FRONT_END_502, FRONT_END_502, FRONT_END_502, FRONT_END_502);
    assert.equal((await client(server.url).client.request({})).statusCode, 502);
    assert.equal(server.attempts, 3);
    const once = await serve(FRONT_END_502);
    assert.equal((await client(once.url, { maxAttempts: 1 }).client.request({})).statusCode, 502);
    assert.equal(once.attempts, 1);
    const answers = await serve(PROXY_502, { status: 429 });
    const { client: c } = client(answers.url);
    assert.equal((await c.request({})).proxyError?.name, 'Socks5TargetUnreachable');
    assert.equal((await c.request({})).statusCode, 429);
    assert.equal(answers.attempts, 2);
  });

  test('a streamed call is retried on its head too', async () => {
    const server = await serve(THROTTLED);
    const s = await client(server.url).client.stream({});
    assert.equal(s.statusCode, 200);
    s.body.resume();
    assert.equal(server.attempts, 2);
  });
});

describe('connections and credentials', () => {
  test('one TCP connection for sequential calls', async () => {
    const server = await serve();
    const { client: c } = client(server.url);
    for (let i = 0; i < 5; i++) {
      await c.request({ path: '/' });
      await c.request({ method: 'POST', body: 'x' });
    }
    assert.deepEqual([server.attempts, server.connections], [10, 1]);
  });

  test('default credentials: the SDK\'s provider chain when installed, made once; else the environment', async () => {
    let chains = 0;
    const provider = defaultCredentialProvider(() => ({
      fromNodeProviderChain: () => (chains++, async () => ({ accessKeyId: 'FROMCHAIN', secretAccessKey: 's', expiration: new Date() }) as never),
    }));
    assert.deepEqual(await provider(), { accessKeyId: 'FROMCHAIN', secretAccessKey: 's', sessionToken: undefined });
    await provider();
    assert.equal(chains, 1);
    const missing = Object.assign(new Error("Cannot find module '@aws-sdk/credential-providers'"), { code: 'MODULE_NOT_FOUND' });
    const saved = process.env.AWS_ACCESS_KEY_ID;
    process.env.AWS_ACCESS_KEY_ID = 'FROMENV';
    try {
      assert.equal((await defaultCredentialProvider(() => { throw missing; })()).accessKeyId, 'FROMENV');
    } finally {
      if (saved === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved;
    }
    const broken = Object.assign(new Error("Cannot find module '@smithy/core'"), { code: 'MODULE_NOT_FOUND' });
    assert.throws(() => defaultCredentialProvider(() => { throw broken; }), /@smithy\/core/);
  });
});

describe('retry rules as values', () => {
  test('full jitter doubles up to the cap', () => {
    const policy = new RetryPolicy({ maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 500 });
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => policy.delayMs(n, () => 1)), [100, 200, 400, 500, 500]);
    assert.equal(policy.delayMs(3, () => 0), 0);
    assert.throws(() => new RetryPolicy({ maxAttempts: 0 }), /maxAttempts/);
  });

  test('what is resent and what is retried', () => {
    assert.equal(mayResend('POST', true), false);
    assert.equal(mayResend('POST', false), true);
    assert.equal(mayResend('PUT', true), true);
    assert.equal(isRetryableAnswer(429, { 'x-amzn-errortype': 'TooManyRequestsException' }), true);
    assert.equal(isRetryableAnswer(429, {}), false);
    assert.equal(isRetryableAnswer(503, {}), true);
    assert.equal(isRetryableAnswer(504, { 'ts-error-name': 'RequestDeadline' }), false);
  });
});
