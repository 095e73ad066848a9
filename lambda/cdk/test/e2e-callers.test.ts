// Two callers through tsproxy-local --auth aws_iam, each with the Node.js and the Python client: the key a
// request is signed with decides the principal tsproxy-local puts into requestContext.authorizer.iam
// (docs/PROTOCOLS.md section 6.3), and TSPROXY_CALLER_POLICY (lambda/adapter/caller_policy.hpp) lets each
// caller reach its own target only. Caller A is a role's session, named in the policy by the role's ARN;
// caller B an IAM user of another account, named by its own ARN; a third key is accepted by the Function
// URL but named by no entry. Both targets are in TSPROXY_ALLOWED_TARGETS, so every refusal here is the
// policy's. The stack is e2e-stack.ts.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { after, before, describe, test } from 'node:test';
import { AwsCredentials, TailscaleProxyClient } from 'tsproxy-cdk/client';
import { Seen, Stack, pythonCalls, skip } from './e2e-stack';
import { tempDir } from './support';

const REGION = 'eu-west-1';

interface Caller {
  profile: string;
  key: AwsCredentials;
  principalArn: string;
}

const A: Caller = {
  profile: 'caller-a',
  key: { accessKeyId: 'AKIDCALLERA', secretAccessKey: 'caller-a-secret' },
  principalArn: 'arn:aws:sts::111122223333:assumed-role/CallerA/session-a',
};
const B: Caller = {
  profile: 'caller-b',
  key: { accessKeyId: 'ASIACALLERB', secretAccessKey: 'caller-b-secret', sessionToken: 'caller-b-token' },
  principalArn: 'arn:aws:iam::444455556666:user/caller-b',
};
const OUTSIDER: Caller = {
  profile: 'outsider',
  key: { accessKeyId: 'AKIDOUTSIDER', secretAccessKey: 'outsider-secret' },
  principalArn: 'arn:aws:sts::999988887777:assumed-role/Other/x',
};

function writeCredentialsFile(): string {
  const file = path.join(tempDir('e2e-callers'), 'credentials');
  const section = (c: Caller) => [
    `[${c.profile}]`,
    `aws_access_key_id = ${c.key.accessKeyId}`,
    `aws_secret_access_key = ${c.key.secretAccessKey}`,
    ...(c.key.sessionToken ? [`aws_session_token = ${c.key.sessionToken}`] : []),
    `principal_arn = ${c.principalArn}`,
    '',
  ];
  fs.writeFileSync(file, [A, B, OUTSIDER].flatMap(section).join('\n'), { mode: 0o600 });
  return file;
}

/** A caller's key as the Python client takes it. */
function pythonKey(c: Caller): [string, string] | [string, string, string] {
  const { accessKeyId, secretAccessKey, sessionToken } = c.key;
  return sessionToken ? [accessKeyId, secretAccessKey, sessionToken] : [accessKeyId, secretAccessKey];
}

/** The second target: answers every request with its own name, and records what it saw. */
class SecondTarget {
  readonly seen: Seen[] = [];
  server!: http.Server;
  port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`T2 ${req.method} ${req.url}`);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r) ?? r(undefined));
  }
}

for (const mode of ['buffered', 'response_stream'] as const) {
  describe(`two callers, each to its own target, through tsproxy-local --auth aws_iam, ${mode}`, { skip }, () => {
    const stack = new Stack();
    const t2 = new SecondTarget();
    // T1 is the stack's own upstream.
    const t1Port = () => stack.upstreamPort;

    before(async () => {
      await t2.start();
      const profiles = [A, B, OUTSIDER].flatMap((c) => ['--auth-profile', c.profile]);
      await stack.start(mode, ['--auth', 'aws_iam', '--auth-region', REGION, '--auth-credentials', writeCredentialsFile(), ...profiles], (s) => ({
        TSPROXY_ALLOWED_TARGETS: `127.0.0.1:${s.upstreamPort},127.0.0.1:${t2.port}`,
        TSPROXY_CALLER_POLICY: JSON.stringify([
          { principal: 'arn:aws:iam::111122223333:role/CallerA', allowedTargets: `127.0.0.1:${s.upstreamPort}` },
          { principal: B.principalArn, allowedTargets: `127.0.0.1:${t2.port}` },
        ]),
      }));
    });
    after(async () => {
      await stack.stop();
      await t2.stop();
    });

    function forget(): void {
      stack.seen.length = 0;
      t2.seen.length = 0;
    }

    function node(caller: Caller, port: number) {
      return new TailscaleProxyClient({ url: stack.url, region: REGION, credentials: caller.key, target: { ip: '127.0.0.1', port }, timeoutMs: 10000 });
    }

    /** The Node.js client's request to `port`: its status, tsproxy's error name if any, and its body. */
    async function nodeCall(caller: Caller, port: number, urlPath: string): Promise<[number, string | undefined, string]> {
      const r = await node(caller, port).request({ path: urlPath });
      return [r.statusCode, r.proxyError?.name, r.body.toString()];
    }

    test('Node.js client: A reaches T1 only, B reaches T2 only', async () => {
      forget();
      assert.deepEqual(await nodeCall(A, t1Port(), '/a-to-t1'), [200, undefined, 'GET /a-to-t1']);
      assert.deepEqual((await nodeCall(A, t2.port, '/a-to-t2')).slice(0, 2), [403, 'TargetNotAllowed']);
      assert.deepEqual(await nodeCall(B, t2.port, '/b-to-t2'), [200, undefined, 'T2 GET /b-to-t2']);
      assert.deepEqual((await nodeCall(B, t1Port(), '/b-to-t1')).slice(0, 2), [403, 'TargetNotAllowed']);
      // Each target saw exactly the request its caller may send.
      assert.deepEqual(stack.seen.map((s) => s.url), ['/a-to-t1']);
      assert.deepEqual(t2.seen.map((s) => s.url), ['/b-to-t2']);
    });

    test('Node.js client: a key the Function URL accepts but the policy does not name gets CallerNotAllowed', async () => {
      forget();
      for (const port of [t1Port(), t2.port]) {
        assert.deepEqual((await nodeCall(OUTSIDER, port, '/outsider')).slice(0, 2), [403, 'CallerNotAllowed']);
      }
      assert.equal(stack.seen.length + t2.seen.length, 0);
    });

    test('Python client: A reaches T1 only, B reaches T2 only, the outsider neither', async () => {
      forget();
      const results = await pythonCalls(stack.url, t1Port(), A.key, [
        { method: 'GET', path: '/a-to-t1', port: t1Port(), credentials: pythonKey(A) },
        { method: 'GET', path: '/a-to-t2', port: t2.port, credentials: pythonKey(A) },
        { method: 'GET', path: '/b-to-t2', port: t2.port, credentials: pythonKey(B), stream: true },
        { method: 'GET', path: '/b-to-t1', port: t1Port(), credentials: pythonKey(B) },
        { method: 'GET', path: '/outsider', port: t2.port, credentials: pythonKey(OUTSIDER) },
      ]);
      const seen = results.map((r) => [r.status, r.proxy_error?.[0] ?? null, r.status === 200 ? Buffer.from(r.body, 'base64').toString() : null]);
      assert.deepEqual(seen, [
        [200, null, 'GET /a-to-t1'],
        [403, 'TargetNotAllowed', null],
        [200, null, 'T2 GET /b-to-t2'],
        [403, 'TargetNotAllowed', null],
        [403, 'CallerNotAllowed', null],
      ]);
      assert.deepEqual(stack.seen.map((s) => s.url), ['/a-to-t1']);
      assert.deepEqual(t2.seen.map((s) => s.url), ['/b-to-t2']);
    });
  });
}
