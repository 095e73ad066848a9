// Both caller clients end to end through plain tsproxy-local (no --auth): see e2e-stack.ts for the stack.
import * as assert from 'assert/strict';
import { after, before, describe, test } from 'node:test';
import { DiagnoseRefusedError, TailscaleProxyClient } from 'tsproxy-cdk/client';
import { BOOTSTRAP, LOCAL, Stack, built, pythonCalls, required, skip } from './e2e-stack';

const CREDS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret-key' };

const binary = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 31 + 7) & 0xff));

for (const mode of ['buffered', 'response_stream'] as const) {
  describe(`end to end, ${mode}`, { skip }, () => {
    const stack = new Stack();
    before(() => stack.start(mode));
    after(() => stack.stop());

    function node(port?: number) {
      return new TailscaleProxyClient({ url: stack.url, region: 'eu-west-1', credentials: CREDS, target: { ip: '127.0.0.1', port: port ?? stack.upstreamPort }, timeoutMs: 10000 });
    }

    test('Node.js client: POST with a binary body and a query, a target Authorization under ts-authorization', async () => {
      stack.seen.length = 0;
      const r = await node().request({ method: 'POST', path: '/upload/ü', query: { q: 'a b', n: ['1', '2'] }, headers: { Authorization: 'Bearer target', 'content-type': 'application/octet-stream' }, body: binary });
      assert.equal(r.statusCode, 201);
      assert.equal(r.proxyError, undefined);
      assert.ok(r.body.equals(binary), 'the target\'s bytes come back unchanged');
      assert.deepEqual(r.headers['set-cookie'], ['a=1; Path=/', 'b=2']);
      const seen = stack.seen[0];
      assert.equal(seen.url, '/upload/%C3%BC?q=a%20b&n=1&n=2');
      assert.ok(seen.body.equals(binary), 'the target receives the exact bytes');
      assert.equal(seen.headers.authorization, 'Bearer target');
      assert.equal(seen.headers['x-amz-date'], undefined);
      assert.equal(seen.headers['ts-target-ip'], undefined);
    });

    test('Node.js client: an unreachable target is a proxyError, not a target response', async () => {
      const r = await node(stack.closedPort).request({ path: '/' });
      assert.equal(r.statusCode, 502);
      assert.match(r.proxyError?.name ?? '', /^Socks5/);
      assert.match(r.proxyError?.message ?? '', /target http:\/\/127\.0\.0\.1:/);
    });

    test('Node.js client: a streamed read of a 3 MiB body', async () => {
      const s = await node().stream({ path: '/big' });
      assert.equal(s.statusCode, 200);
      let size = 0;
      for await (const chunk of s.body) size += (chunk as Buffer).length;
      assert.equal(size, 3 * 1024 * 1024);
    });

    test('Python client: the same requests', async () => {
      stack.seen.length = 0;
      const [post, get, unreachable, big] = await pythonCalls(stack.url, stack.upstreamPort, CREDS, [
        { method: 'POST', path: '/upload/ü', query: 'q=a%20b&n=1&n=2', headers: { Authorization: 'Bearer target', 'content-type': 'application/octet-stream' }, body: binary.toString('base64') },
        { method: 'GET', path: '/get', query: [['k', 'v w']] },
        { method: 'GET', path: '/', port: stack.closedPort },
        { method: 'GET', path: '/big', stream: true },
      ]);
      assert.equal(post.status, 201);
      assert.equal(post.proxy_error, null);
      assert.ok(Buffer.from(post.body, 'base64').equals(binary));
      assert.deepEqual(post.headers.filter(([k]: string[]) => k === 'set-cookie').map(([, v]: string[]) => v), ['a=1; Path=/', 'b=2']);
      assert.equal(stack.seen[0].url, '/upload/%C3%BC?q=a%20b&n=1&n=2');
      assert.ok(stack.seen[0].body.equals(binary));
      assert.equal(stack.seen[0].headers.authorization, 'Bearer target');
      assert.equal(Buffer.from(get.body, 'base64').toString(), 'GET /get?k=v%20w');
      assert.equal(unreachable.status, 502);
      assert.match(unreachable.proxy_error?.[0] ?? '', /^Socks5/);
      assert.equal(Buffer.from(big.body, 'base64').length, 3 * 1024 * 1024);
    });
  });
}

// Diagnosis (docs/PROTOCOLS.md 1.6) and trace context (1.2) as both clients see them. Without a LocalAPI
// (TSPROXY_TAILSCALE_SOCKET=none) the diagnosis still makes its trial connection through the listener.
describe('end to end: diagnose and trace context, both clients', { skip }, () => {
  const stack = new Stack();
  before(() => stack.start('buffered', [], () => ({ TSPROXY_DIAGNOSE: 'true' })));
  after(() => stack.stop());
  const client = (port?: number) =>
    new TailscaleProxyClient({ url: stack.url, region: 'eu-west-1', credentials: CREDS, target: { ip: '127.0.0.1', port: port ?? stack.upstreamPort }, timeoutMs: 10000 });
  type Section = { result: string; verdict: string };

  function expectReachable(d: Record<string, any>, port: number) {
    assert.equal(d.target, `http://127.0.0.1:${port}`);
    assert.equal(d.connection.result, 'ok', d.connection.verdict);
    assert.equal(d.connection.socks5.connected, true);
    for (const section of Object.values(d).filter((v): v is Section => typeof v === 'object' && v !== null && 'verdict' in v)) {
      assert.ok(section.verdict.length > 0, 'every section says what it found');
    }
  }

  test('diagnose(): a reachable target is diagnosed, not forwarded; a closed port fails the trial connection', async () => {
    stack.seen.length = 0;
    expectReachable(await client().diagnose(), stack.upstreamPort);
    const closed = (await client(stack.closedPort).diagnose()) as Record<string, any>;
    assert.equal(closed.connection.result, 'failed');
    assert.equal(closed.connection.socks5.connected, false);
    assert.match(closed.connection.socks5.error, /^Socks5/);
    assert.equal(closed.result, 'failed');
    const [viaPython, closedViaPython] = await pythonCalls(stack.url, stack.upstreamPort, CREDS, [
      { method: 'GET', path: '/', diagnose: true },
      { method: 'GET', path: '/', port: stack.closedPort, diagnose: true },
    ]);
    expectReachable(JSON.parse(Buffer.from(viaPython.body, 'base64').toString()), stack.upstreamPort);
    assert.equal(JSON.parse(Buffer.from(closedViaPython.body, 'base64').toString()).connection.result, 'failed');
    assert.equal(stack.seen.length, 0, 'no diagnosis reached the target');
  });

  test('the target joins the invocation\'s trace; a caller\'s own traceparent is kept', async () => {
    stack.seen.length = 0;
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await client().request({ path: '/trace/node' });
    await client().request({ path: '/trace/node-own', headers: { traceparent: own } });
    await pythonCalls(stack.url, stack.upstreamPort, CREDS, [
      { method: 'GET', path: '/trace/python' },
      { method: 'GET', path: '/trace/python-own', headers: { traceparent: own } },
    ]);
    const byPath = new Map(stack.seen.map((s) => [s.url, s.headers]));
    for (const caller of ['node', 'python']) {
      const derived = byPath.get(`/trace/${caller}`)!;
      const xray = /^Root=1-([0-9a-f]{8})-([0-9a-f]{24});Parent=([0-9a-f]{16});Sampled=([01])$/.exec(String(derived['x-amzn-trace-id']));
      assert.ok(xray, `${caller}: X-Amzn-Trace-Id ${derived['x-amzn-trace-id']}`);
      assert.equal(derived.traceparent, `00-${xray[1]}${xray[2]}-${xray[3]}-0${xray[4]}`, caller);
      assert.equal(byPath.get(`/trace/${caller}-own`)!.traceparent, own, caller);
    }
  });
});

test('diagnose() without TSPROXY_DIAGNOSE: both clients are refused with DiagnoseNotAllowed', { skip }, async () => {
  const stack = new Stack();
  await stack.start('buffered');
  try {
    const node = new TailscaleProxyClient({ url: stack.url, region: 'eu-west-1', credentials: CREDS, target: { ip: '127.0.0.1', port: stack.upstreamPort }, timeoutMs: 10000 });
    await assert.rejects(node.diagnose(), (e: DiagnoseRefusedError) => e.statusCode === 403 && e.proxyError?.name === 'DiagnoseNotAllowed');
    const [python] = await pythonCalls(stack.url, stack.upstreamPort, CREDS, [{ method: 'GET', path: '/', diagnose: true }]);
    assert.equal(python.status, 403);
    assert.deepEqual(python.proxy_error?.[0], 'DiagnoseNotAllowed');
    assert.equal(stack.seen.length, 0);
  } finally {
    await stack.stop();
  }
});

test('the e2e binaries are there when CI requires them', { skip: !required && 'TSPROXY_E2E_REQUIRED is not set' }, () => {
  assert.ok(built, `missing ${LOCAL} or ${BOOTSTRAP}`);
});
