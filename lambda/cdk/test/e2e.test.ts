// Both caller clients end to end through plain tsproxy-local (no --auth): see e2e-stack.ts for the stack.
import * as assert from 'assert/strict';
import { after, before, describe, test } from 'node:test';
import { TailscaleProxyClient } from 'tsproxy-cdk/client';
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

test('the e2e binaries are there when CI requires them', { skip: !required && 'TSPROXY_E2E_REQUIRED is not set' }, () => {
  assert.ok(built, `missing ${LOCAL} or ${BOOTSTRAP}`);
});
