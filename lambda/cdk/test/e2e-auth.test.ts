// Both caller clients end to end through tsproxy-local --auth aws_iam, which checks SigV4 as a Function URL
// with AuthType AWS_IAM does (docs/PROTOCOLS.md section 6.3; the stack is e2e-stack.ts). Requests signed
// with the accepted key reach the target unchanged; every other one is answered 403 exactly as a Function
// URL answers it, which the clients report as the caller's own failure, not as a proxy error, and which
// tsproxy-local's log explains (the reason is checked, so that each refusal is refused for its own cause).
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { after, before, describe, test } from 'node:test';
import { AwsCredentials, ProxyRequest, SignedRequest, TailscaleProxyClient, buildSignedRequest } from 'tsproxy-cdk/client';
import { PythonResult, Stack, pythonCalls, skip } from './e2e-stack';
import { tempDir } from './support';

const REGION = 'eu-west-1';
const KEY: AwsCredentials = { accessKeyId: 'AKIDAUTHLOCAL', secretAccessKey: 'auth-secret-key/with+chars' };
const SESSION_KEY: AwsCredentials = { accessKeyId: 'ASIAAUTHLOCAL', secretAccessKey: 'session-secret-key', sessionToken: 'session-token/for+this==' };
const WRONG_SECRET = 'auth-secret-key/with+chars-but-not-this';
const FORBIDDEN_BODY = '{"Message":"Forbidden"}';
const MINUTE_MS = 60 * 1000;

const binary = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 31 + 7) & 0xff));

/** The accepted keys, as AWS's shared credentials file holds them: the long-term one and a session's. */
function writeCredentialsFile(): string {
  const file = path.join(tempDir('e2e-auth'), 'credentials');
  fs.writeFileSync(
    file,
    [
      '# the keys tsproxy-local accepts in this test',
      '[default]',
      `aws_access_key_id = ${KEY.accessKeyId}`,
      `aws_secret_access_key = ${KEY.secretAccessKey}`,
      '',
      '[session]',
      `aws_access_key_id = ${SESSION_KEY.accessKeyId}`,
      `aws_secret_access_key = ${SESSION_KEY.secretAccessKey}`,
      `aws_session_token = ${SESSION_KEY.sessionToken}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

interface Answer {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Sends exactly these bytes, on a connection of its own, with no signing of its own. */
function rawRequest(signed: Pick<SignedRequest, 'hostname' | 'port' | 'method' | 'path' | 'headers' | 'body'>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: signed.hostname, port: signed.port, method: signed.method, path: signed.path, headers: signed.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(10000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(signed.body);
  });
}

function pythonHeaders(r: PythonResult): http.IncomingHttpHeaders {
  const out: http.IncomingHttpHeaders = {};
  for (const [k, v] of r.headers) out[k] = v;
  return out;
}

for (const mode of ['buffered', 'response_stream'] as const) {
  describe(`SigV4 checked by tsproxy-local --auth aws_iam, ${mode}`, { skip }, () => {
    const stack = new Stack();
    const sessionStack = new Stack();
    before(async () => {
      const file = writeCredentialsFile();
      const auth = ['--auth', 'aws_iam', '--auth-region', REGION, '--auth-credentials', file];
      await stack.start(mode, auth);
      await sessionStack.start(mode, [...auth, '--auth-profile', 'session']);
    });
    after(async () => {
      await stack.stop();
      await sessionStack.stop();
    });

    function node(on: Stack, credentials: AwsCredentials, region = REGION) {
      return new TailscaleProxyClient({ url: on.url, region, credentials, target: { ip: '127.0.0.1', port: on.upstreamPort }, timeoutMs: 10000 });
    }

    function sign(on: Stack, credentials: AwsCredentials, request: ProxyRequest): SignedRequest {
      return buildSignedRequest({ url: on.url, region: REGION, credentials, target: { ip: '127.0.0.1', port: on.upstreamPort }, request, now: new Date() });
    }

    /**
     * A Function URL's refusal, byte for byte as it answers: 403, the JSON body, the error type; no
     * ts-error-name, so the clients do not take it for tsproxy's. Returns tsproxy-local's logged reason.
     */
    async function forbidden(on: Stack, r: { statusCode: number; headers: http.IncomingHttpHeaders; body: Buffer }): Promise<string> {
      assert.equal(r.statusCode, 403);
      assert.equal(r.body.toString(), FORBIDDEN_BODY);
      assert.equal(r.headers['x-amzn-errortype'], 'AccessDeniedException');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['ts-error-name'], undefined);
      const requestId = r.headers['x-amzn-requestid'];
      assert.equal(typeof requestId, 'string');
      return on.rejectionReason(requestId as string);
    }

    test('Node.js client, the accepted key: POST with a binary body and a query reaches the target byte for byte', async () => {
      stack.seen.length = 0;
      const r = await node(stack, KEY).request({ method: 'POST', path: '/upload/ü', query: { q: 'a b', n: ['1', '2'], s: '+/=' }, headers: { Authorization: 'Bearer target', 'content-type': 'application/octet-stream' }, body: binary });
      assert.equal(r.statusCode, 201);
      assert.equal(r.proxyError, undefined);
      assert.ok(r.body.equals(binary), "the target's bytes come back unchanged");
      assert.equal(stack.seen.length, 1);
      const seen = stack.seen[0];
      assert.equal(seen.url, '/upload/%C3%BC?q=a%20b&n=1&n=2&s=%2B%2F%3D');
      assert.ok(seen.body.equals(binary), 'the target receives the exact bytes');
      assert.equal(seen.headers.authorization, 'Bearer target');
      assert.equal(seen.headers['x-amz-date'], undefined);
    });

    test('Node.js client, the accepted key: a streamed read of a 3 MiB body', async () => {
      const s = await node(stack, KEY).stream({ path: '/big', query: [['part', 'all']] });
      assert.equal(s.statusCode, 200);
      assert.equal(s.proxyError, undefined);
      let size = 0;
      for await (const chunk of s.body) size += (chunk as Buffer).length;
      assert.equal(size, 3 * 1024 * 1024);
    });

    test('Node.js client, the accepted key with a clock 10 minutes off either way: inside the window', async (t) => {
      for (const offset of [-10 * MINUTE_MS, 10 * MINUTE_MS]) {
        t.mock.timers.enable({ apis: ['Date'], now: Date.now() + offset });
        const r = await node(stack, KEY).request({ path: '/skewed' });
        t.mock.timers.reset();
        assert.equal(r.statusCode, 200, `clock off by ${offset / MINUTE_MS} min`);
      }
    });

    test('Node.js client, the wrong secret key: 403 Forbidden, not a proxy error, and the target is not reached', async () => {
      stack.seen.length = 0;
      const wrong = { ...KEY, secretAccessKey: WRONG_SECRET };
      const r = await node(stack, wrong).request({ method: 'POST', path: '/upload', body: binary });
      assert.equal(r.proxyError, undefined);
      assert.equal(await forbidden(stack, r), 'SignatureMismatch');
      const s = await node(stack, wrong).stream({ path: '/big' });
      assert.equal(s.proxyError, undefined);
      const chunks: Buffer[] = [];
      for await (const chunk of s.body) chunks.push(chunk as Buffer);
      assert.equal(await forbidden(stack, { ...s, body: Buffer.concat(chunks) }), 'SignatureMismatch');
      assert.equal(stack.seen.length, 0);
    });

    test('Node.js client, a clock 20 minutes off either way: 403, the date is outside the 15-minute window', async (t) => {
      stack.seen.length = 0;
      for (const offset of [-20 * MINUTE_MS, 20 * MINUTE_MS]) {
        t.mock.timers.enable({ apis: ['Date'], now: Date.now() + offset });
        const r = await node(stack, KEY).request({ path: '/skewed' });
        t.mock.timers.reset();
        assert.equal(r.proxyError, undefined);
        assert.equal(await forbidden(stack, r), 'DateOutOfWindow', `clock off by ${offset / MINUTE_MS} min`);
      }
      assert.equal(stack.seen.length, 0);
    });

    test('Node.js client, signed for another region: 403', async () => {
      const r = await node(stack, KEY, 'us-east-1').request({ path: '/' });
      assert.equal(r.proxyError, undefined);
      assert.equal(await forbidden(stack, r), 'WrongCredentialScope');
    });

    test('a body changed after the Node.js client signed it: 403, and the target never sees it', async () => {
      stack.seen.length = 0;
      const signed = sign(stack, KEY, { method: 'POST', path: '/upload', query: 'x=1', body: binary });
      const tampered = Buffer.from(signed.body);
      tampered[tampered.length - 1] ^= 0x01;
      assert.equal(await forbidden(stack, await rawRequest({ ...signed, body: tampered })), 'SignatureMismatch');
      // The same bytes, untouched, pass: the refusal is the body's change and nothing else.
      assert.equal((await rawRequest(signed)).statusCode, 201);
      assert.equal(stack.seen.length, 1);
      assert.ok(stack.seen[0].body.equals(binary));
    });

    test('a plain request with no signature at all: 403, GET and POST alike', async () => {
      stack.seen.length = 0;
      const url = new URL(stack.url);
      const route = { 'ts-target-ip': '127.0.0.1', 'ts-target-port': String(stack.upstreamPort) };
      const get = await rawRequest({ hostname: url.hostname, port: Number(url.port), method: 'GET', path: '/', headers: route, body: Buffer.alloc(0) });
      assert.equal(await forbidden(stack, get), 'MissingAuthorization');
      const post = await rawRequest({ hostname: url.hostname, port: Number(url.port), method: 'POST', path: '/upload?x=1', headers: { ...route, 'content-type': 'application/octet-stream' }, body: binary });
      assert.equal(await forbidden(stack, post), 'MissingAuthorization');
      assert.equal(stack.seen.length, 0);
    });

    test('Node.js client, a session key: with its token it passes; without it, or with another, 403', async () => {
      sessionStack.seen.length = 0;
      const ok = await node(sessionStack, SESSION_KEY).request({ method: 'POST', path: '/upload', query: 'k=v', body: binary });
      assert.equal(ok.statusCode, 201);
      assert.equal(ok.proxyError, undefined);
      assert.equal(sessionStack.seen.length, 1);
      assert.ok(sessionStack.seen[0].body.equals(binary));
      assert.equal(sessionStack.seen[0].headers['x-amz-security-token'], undefined, 'the token stays with the Function URL');
      const s = await node(sessionStack, SESSION_KEY).stream({ path: '/big' });
      let size = 0;
      for await (const chunk of s.body) size += (chunk as Buffer).length;
      assert.equal(size, 3 * 1024 * 1024);

      sessionStack.seen.length = 0;
      const withoutToken = await node(sessionStack, { ...SESSION_KEY, sessionToken: undefined }).request({ path: '/' });
      assert.equal(await forbidden(sessionStack, withoutToken), 'SessionTokenMismatch');
      const otherToken = await node(sessionStack, { ...SESSION_KEY, sessionToken: 'another-token' }).request({ path: '/' });
      assert.equal(await forbidden(sessionStack, otherToken), 'SessionTokenMismatch');
      // The long-term key is not the one this tsproxy-local accepts.
      const otherKey = await node(sessionStack, KEY).request({ path: '/' });
      assert.equal(await forbidden(sessionStack, otherKey), 'UnknownAccessKey');
      assert.equal(sessionStack.seen.length, 0);
    });

    test('Python client: the accepted key gets through; a wrong secret, a clock 20 minutes off and a body changed after signing get 403', async () => {
      stack.seen.length = 0;
      const [post, big, skewedOk, wrong, behind, ahead, tampered] = await pythonCalls(stack.url, stack.upstreamPort, KEY, [
        { method: 'POST', path: '/upload/ü', query: 'q=a%20b&n=1&n=2&s=%2B%2F%3D', headers: { Authorization: 'Bearer target', 'content-type': 'application/octet-stream' }, body: binary.toString('base64') },
        { method: 'GET', path: '/big', query: [['part', 'all']], stream: true },
        { method: 'GET', path: '/skewed', clockSkewS: -10 * 60 },
        { method: 'POST', path: '/upload', body: binary.toString('base64'), credentials: [KEY.accessKeyId, WRONG_SECRET] },
        { method: 'GET', path: '/skewed', clockSkewS: -20 * 60 },
        { method: 'GET', path: '/skewed', clockSkewS: 20 * 60 },
        { method: 'POST', path: '/upload', query: 'x=1', body: binary.toString('base64'), tamper: true },
      ]);
      assert.equal(post.status, 201);
      assert.equal(post.proxy_error, null);
      assert.ok(Buffer.from(post.body, 'base64').equals(binary));
      assert.equal(big.status, 200);
      assert.equal(Buffer.from(big.body, 'base64').length, 3 * 1024 * 1024);
      assert.equal(skewedOk.status, 200);
      // Only the three accepted requests reached the target, the POST's bytes exactly.
      assert.deepEqual(stack.seen.map((s) => s.url), ['/upload/%C3%BC?q=a%20b&n=1&n=2&s=%2B%2F%3D', '/big?part=all', '/skewed']);
      assert.ok(stack.seen[0].body.equals(binary), 'the target receives the exact bytes');
      assert.equal(stack.seen[0].headers.authorization, 'Bearer target');

      const refusals: [PythonResult, string][] = [
        [wrong, 'SignatureMismatch'],
        [behind, 'DateOutOfWindow'],
        [ahead, 'DateOutOfWindow'],
        [tampered, 'SignatureMismatch'],
      ];
      for (const [r, reason] of refusals) {
        assert.equal(r.proxy_error, null, 'a refusal is not a proxy error');
        assert.equal(await forbidden(stack, { statusCode: r.status, headers: pythonHeaders(r), body: Buffer.from(r.body, 'base64') }), reason);
      }
    });

    test('Python client, a session key: with its token it passes; without it, or with another, 403', async () => {
      sessionStack.seen.length = 0;
      const [ok, big, withoutToken, otherToken] = await pythonCalls(sessionStack.url, sessionStack.upstreamPort, SESSION_KEY, [
        { method: 'POST', path: '/upload', query: 'k=v', body: binary.toString('base64') },
        { method: 'GET', path: '/big', stream: true },
        { method: 'GET', path: '/', credentials: [SESSION_KEY.accessKeyId, SESSION_KEY.secretAccessKey] },
        { method: 'GET', path: '/', credentials: [SESSION_KEY.accessKeyId, SESSION_KEY.secretAccessKey, 'another-token'] },
      ]);
      assert.equal(ok.status, 201);
      assert.ok(Buffer.from(ok.body, 'base64').equals(binary));
      assert.equal(big.status, 200);
      assert.equal(Buffer.from(big.body, 'base64').length, 3 * 1024 * 1024);
      assert.equal(sessionStack.seen.length, 2);
      assert.ok(sessionStack.seen[0].body.equals(binary));
      assert.equal(sessionStack.seen[0].headers['x-amz-security-token'], undefined);
      for (const r of [withoutToken, otherToken]) {
        assert.equal(r.proxy_error, null);
        assert.equal(await forbidden(sessionStack, { statusCode: r.status, headers: pythonHeaders(r), body: Buffer.from(r.body, 'base64') }), 'SessionTokenMismatch');
      }
    });
  });
}
