import * as assert from 'assert/strict';
import { execFileSync } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import { AddressInfo } from 'net';
import * as path from 'path';
import { after, before, describe, test } from 'node:test';
import { DiagnoseRefusedError, TailscaleProxyClient, buildSignedRequest, encodePath, encodeQuery, regionFromUrl } from 'tsproxy-cdk/client';
import { PACKAGE_DIR } from './support';

const NOW = new Date('2024-01-02T03:04:05Z');
const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const URL_ = 'https://abcdefg.lambda-url.eu-west-1.on.aws';
const TARGET = { ip: '100.64.0.5', port: 8080 };
const PY_CLIENT = path.join(PACKAGE_DIR, 'python-client');

function build(request: object, extra: object = {}) {
  return buildSignedRequest({ url: URL_, region: 'eu-west-1', credentials: CREDS, target: TARGET, now: NOW, request, ...extra });
}

interface Received {
  method: string;
  path: string;
  headers: [string, string][];
  body: Buffer;
}

/** Recomputes each request's signature with botocore (python-client/tests/sigv4_check.py). */
function signaturesMatch(requests: Received[], secretKey = CREDS.secretAccessKey, region = 'eu-west-1'): boolean[] {
  const input = requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body_b64: r.body.toString('base64'), secret_key: secretKey, region }));
  const out = execFileSync('python3', [path.join(PY_CLIENT, 'tests', 'sigv4_check.py')], { input: JSON.stringify(input) });
  return JSON.parse(out.toString());
}

describe('request builder', () => {
  test('routing headers, the signature\'s headers, no Content-Type and no payload hash header of its own', () => {
    const r = build({}, { metric: { service: 'orders', dimensionName: 'client', dimensionValue: 'a' } });
    assert.equal(r.method, 'GET');
    assert.equal(r.path, '/');
    assert.equal(r.hostname, 'abcdefg.lambda-url.eu-west-1.on.aws');
    assert.equal(r.port, 443);
    const h = r.headers;
    assert.equal(h['ts-target-ip'], '100.64.0.5');
    assert.equal(h['ts-target-port'], '8080');
    assert.equal(h['ts-https'], undefined);
    assert.equal(h['ts-metric-service'], 'orders');
    assert.equal(h['ts-metric-dimension-name'], 'client');
    assert.equal(h['ts-metric-dimension-value'], 'a');
    assert.equal(h.host, 'abcdefg.lambda-url.eu-west-1.on.aws');
    assert.equal(h['x-amz-date'], '20240102T030405Z');
    assert.match(h.Authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20240102\/eu-west-1\/lambda\/aws4_request, SignedHeaders=host;ts-metric-dimension-name;/);
    for (const absent of ['content-type', 'Content-Type', 'content-length', 'Content-Length', 'x-amz-content-sha256', 'X-Amz-Content-Sha256']) {
      assert.equal(h[absent], undefined, absent);
    }
  });

  test('a target\'s Authorization, Host, X-Amz-Date and X-Amz-Content-Sha256 travel under their ts- names', () => {
    const h = build({
      headers: { Authorization: 'Bearer t', Host: 'api.internal', 'X-Amz-Date': 'd', 'X-Amz-Content-Sha256': 's', Accept: 'text/plain' },
    }).headers;
    assert.equal(h['ts-authorization'], 'Bearer t');
    assert.equal(h['ts-host'], 'api.internal');
    assert.equal(h['ts-x-amz-date'], 'd');
    assert.equal(h['ts-x-amz-content-sha256'], 's');
    assert.equal(h.accept, 'text/plain');
    assert.equal(h.host, 'abcdefg.lambda-url.eu-west-1.on.aws');
    assert.match(h.Authorization, /^AWS4-HMAC-SHA256 /);
  });

  test('refuses what tsproxy would refuse or drop', () => {
    const cases: [object, RegExp][] = [
      [{ headers: { 'x-amz-security-token': 't' } }, /never forwards x-amz-security-token/],
      [{ headers: { 'ts-target-ip': '1.2.3.4' } }, /tsproxy's own header/],
      [{ headers: { 'x-a': 'a\r\nb: c' } }, /CR, LF or NUL/],
      [{ headers: { 'bad name': 'x' } }, /invalid header name/],
      [{ headers: { Authorization: 'a', 'ts-authorization': 'b' } }, /given twice/],
      [{ target: { port: 80 } }, /ip or a host/],
      [{ target: { ip: '1.2.3.4', port: 70000 } }, /not 1-65535/],
      [{ path: '/a?b=1', query: 'c=2' }, /query is given too/],
      [{ query: 'a=%zz' }, /invalid percent-encoding/],
    ];
    for (const [request, message] of cases) assert.throws(() => build(request), message);
  });

  test('queries are sent strictly encoded in the caller\'s order; paths keep their characters where they may', () => {
    assert.equal(encodeQuery('b=2&a=x y&a=1+1&flag&e=%C3%BC'), 'b=2&a=x%20y&a=1%2B1&flag&e=%C3%BC');
    assert.equal(encodeQuery({ z: '1', a: ['2', '3'] }), 'z=1&a=2&a=3');
    assert.equal(encodeQuery([['k', 'v/w'], ['k', '']]), 'k=v%2Fw&k=');
    assert.equal(encodePath('a b/ü#x;y'), '/a%20b/%C3%BC%23x;y');
    assert.equal(build({ path: '/p?b=2&a=1&b=1' }).path, '/p?b=2&a=1&b=1');
  });

  test('a body: Content-Length, bytes unchanged; POST without a body says 0', () => {
    const body = Buffer.from([0, 1, 2, 255]);
    const r = build({ method: 'post', body });
    assert.equal(r.method, 'POST');
    assert.equal(r.headers['content-length'], '4');
    assert.ok(r.body.equals(body));
    assert.equal(build({ method: 'POST' }).headers['content-length'], '0');
  });

  test('a value: the same input gives the same request; a session token is sent and signed', () => {
    assert.deepEqual(build({ method: 'PUT', body: 'x' }), build({ method: 'PUT', body: 'x' }));
    const r = build({}, { credentials: { ...CREDS, sessionToken: 'TOKEN' } });
    assert.equal(r.headers['X-Amz-Security-Token'], 'TOKEN');
    assert.match(r.headers.Authorization, /x-amz-security-token/);
  });

  test('region from a Function URL host name', () => {
    assert.equal(regionFromUrl('https://abc.lambda-url.ap-southeast-2.on.aws/'), 'ap-southeast-2');
    assert.equal(regionFromUrl('http://127.0.0.1:9000'), undefined);
  });

  test('the Node.js and Python clients send the same bytes and the same signature', () => {
    const cases = [
      { method: 'GET', path: '/', query: undefined, headers: {}, body: '' },
      { method: 'POST', path: '/orders/ü ñ', query: 'b=2&a=x y&a=1+1&flag&e=%C3%BC&slash=%2F', headers: { 'Content-Type': 'application/octet-stream', Authorization: 'Bearer t' }, body: Buffer.from([0, 1, 2, 254, 255]).toString('base64') },
      { method: 'DELETE', path: '/a/./b/../c//d', query: 'k=v', headers: { 'X-Odd': '  spaced   value ' }, body: '' },
      { method: 'GET', path: '/', query: undefined, headers: {}, body: '', diagnose: true },
    ];
    const script = `
import base64, datetime, json, sys
sys.path[:0] = [${JSON.stringify(path.join(PY_CLIENT, 'src'))}]
from botocore.credentials import Credentials
from tsproxy_client import ProxyTarget, build_signed_request
out = []
for c in json.load(sys.stdin):
    r = build_signed_request(${JSON.stringify(URL_)}, "eu-west-1", Credentials(${JSON.stringify(CREDS.accessKeyId)}, ${JSON.stringify(CREDS.secretAccessKey)}, "TOKEN"),
        ProxyTarget(ip="100.64.0.5", port=8080, https=True), datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        method=c["method"], path=c["path"], query=c.get("query"), headers=c["headers"], body=base64.b64decode(c["body"]),
        diagnose=c.get("diagnose", False))
    out.append({"path": r.path, "headers": dict(r.headers)})
print(json.dumps(out))`;
    const python = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(cases) }).toString());
    cases.forEach((c, i) => {
      const node = build(
        { method: c.method, path: c.path, query: c.query, headers: c.headers, body: Buffer.from(c.body, 'base64'), diagnose: c.diagnose },
        { credentials: { ...CREDS, sessionToken: 'TOKEN' }, target: { ...TARGET, https: true } },
      );
      const nodeHeaders = Object.fromEntries(Object.entries(node.headers).map(([k, v]) => [k.toLowerCase(), v]));
      assert.equal(node.path, python[i].path, `path of case ${i}`);
      assert.deepEqual(nodeHeaders, python[i].headers, `headers of case ${i}`);
    });
  });
});

describe('client against a loopback server', () => {
  let server: http.Server;
  let url = '';
  const received: Received[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: [string, string][] = [];
        for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
        received.push({ method: req.method!, path: req.url!, headers, body: Buffer.concat(chunks) });
        const route = req.url!.split('?')[0];
        if (req.headers['ts-diagnose'] === 'true') {
          // As tsproxy answers ts-diagnose (docs/PROTOCOLS.md 1.6): a diagnosis for port 8080, 403
          // DiagnoseNotAllowed for 8081, and for 8082 the target's own answer, as a tsproxy that predates
          // ts-diagnose forwards the request.
          const port = req.headers['ts-target-port'];
          if (port === '8081') {
            res.writeHead(403, { 'ts-error-name': 'DiagnoseNotAllowed', 'ts-error-message': 'diagnosis is off for this caller', 'content-type': 'application/json' });
            res.end('{"error":"DiagnoseNotAllowed","message":"diagnosis is off for this caller"}');
          } else if (port === '8082') {
            res.writeHead(200, { 'content-type': 'text/html' });
            res.end('<html>the target</html>');
          } else {
            res.writeHead(200, { 'content-type': 'application/json', 'ts-diagnose': 'true' });
            res.end('{"target":"http://100.64.0.5:8080","ping":{"result":"ok","verdict":"pong"},"result":"ok"}');
          }
        } else if (route === '/echo') {
          res.writeHead(201, { 'content-type': 'application/octet-stream', 'set-cookie': ['a=1', 'b=2'] });
          res.end(Buffer.concat(chunks));
        } else if (route === '/proxy-error') {
          res.writeHead(502, { 'ts-error-name': 'Socks5TargetUnreachable', 'ts-error-message': 'no route (target http://100.64.0.5:8080)', 'content-type': 'application/json' });
          res.end('{"error":"Socks5TargetUnreachable","message":"no route (target http://100.64.0.5:8080)"}');
        } else if (route === '/target-error') {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('target broke');
        } else if (route === '/stream') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('one,');
          setImmediate(() => res.end('two'));
        } else if (route === '/cut') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial');
          setImmediate(() => res.destroy());
        } else if (route === '/silent') {
          // never answers: the client's deadline ends it
        } else {
          res.writeHead(404);
          res.end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  function client(extra: object = {}) {
    return new TailscaleProxyClient({ url, region: 'eu-west-1', credentials: CREDS, target: TARGET, timeoutMs: 5000, ...extra });
  }

  test('a POST with a binary body and a query: sent byte-exact, signed so that botocore verifies it', async () => {
    received.length = 0;
    const body = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff));
    const resp = await client().request({ method: 'POST', path: '/echo', query: { q: 'a b', r: ['1', '2'] }, headers: { 'content-type': 'application/octet-stream' }, body });
    assert.equal(resp.statusCode, 201);
    assert.equal(resp.proxyError, undefined);
    assert.ok(resp.body.equals(body));
    assert.deepEqual(resp.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(received[0].path, '/echo?q=a%20b&r=1&r=2');
    assert.ok(received[0].body.equals(body));
    assert.deepEqual(signaturesMatch(received), [true]);
    // The check can fail: another key, or a changed body, does not verify.
    assert.deepEqual(signaturesMatch(received, 'other-secret'), [false]);
    assert.deepEqual(signaturesMatch([{ ...received[0], body: Buffer.from('x') }]), [false]);
  });

  test('credentials from a function, per request, with a session token', async () => {
    received.length = 0;
    let calls = 0;
    const c = client({ credentials: async () => (calls++, { ...CREDS, sessionToken: `T${calls}` }) });
    await c.request({ path: '/echo' });
    await c.request({ path: '/echo' });
    assert.equal(calls, 2);
    assert.deepEqual(received.map((r) => r.headers.find(([k]) => k === 'x-amz-security-token')?.[1]), ['T1', 'T2']);
    assert.deepEqual(signaturesMatch(received), [true, true]);
  });

  test('tsproxy\'s own answer is a proxyError; the target\'s error status is not', async () => {
    const p = await client().request({ path: '/proxy-error' });
    assert.deepEqual(p.proxyError, { name: 'Socks5TargetUnreachable', message: 'no route (target http://100.64.0.5:8080)', statusCode: 502 });
    assert.equal((p.json() as { error: string }).error, 'Socks5TargetUnreachable');
    const t = await client().request({ path: '/target-error' });
    assert.equal(t.statusCode, 500);
    assert.equal(t.proxyError, undefined);
    assert.equal(t.text(), 'target broke');
  });

  test('diagnose() sends ts-diagnose signed and returns the diagnosis; a refusal or a forwarded answer rejects', async () => {
    received.length = 0;
    const diagnosis = await client().diagnose();
    assert.equal((diagnosis.ping as { verdict: string }).verdict, 'pong');
    assert.equal(diagnosis.result, 'ok');
    const sent = received[0];
    assert.deepEqual([sent.method, sent.path], ['GET', '/']);
    assert.ok(sent.headers.some(([k, v]) => k === 'ts-diagnose' && v === 'true'));
    assert.match(sent.headers.find(([k]) => k === 'authorization')![1], /ts-diagnose/, 'ts-diagnose is signed');
    assert.deepEqual(signaturesMatch(received), [true]);
    received.length = 0;
    await client().request({ path: '/echo' });
    assert.ok(!received[0].headers.some(([k]) => k === 'ts-diagnose'), 'only diagnose() asks for a diagnosis');
    await assert.rejects(client().diagnose({ ip: '100.64.0.5', port: 8081 }), (e: DiagnoseRefusedError) => {
      assert.ok(e instanceof DiagnoseRefusedError);
      assert.deepEqual([e.proxyError?.name, e.statusCode], ['DiagnoseNotAllowed', 403]);
      return true;
    });
    await assert.rejects(client().diagnose({ ip: '100.64.0.5', port: 8082 }), /does not know ts-diagnose/);
  });

  test('streamed read: the head first, then the body as it arrives; a cut stream errors', async () => {
    const s = await client().stream({ path: '/stream' });
    assert.equal(s.statusCode, 200);
    const parts: string[] = [];
    for await (const chunk of s.body) parts.push(chunk.toString());
    assert.equal(parts.join(''), 'one,two');
    const cut = await client().stream({ path: '/cut' });
    await assert.rejects(async () => {
      for await (const _ of cut.body) void _;
    });
    await assert.rejects(client().request({ path: '/cut' }));
  });

  test('every request has a deadline', async () => {
    const started = Date.now();
    await assert.rejects(client({ timeoutMs: 200 }).request({ path: '/silent' }), /within the deadline/);
    assert.ok(Date.now() - started < 4000);
  });

  test('no credentials or region: a clear error', async () => {
    const saved = { ...process.env };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION']) delete process.env[k];
    try {
      await assert.rejects(new TailscaleProxyClient({ url, region: 'eu-west-1', target: TARGET }).request({}), /no AWS credentials/);
      assert.throws(() => new TailscaleProxyClient({ url, target: TARGET }), /no region/);
    } finally {
      Object.assign(process.env, saved);
    }
  });
});

describe('client and keep-alive connections the server closed', () => {
  // The second request on a connection is answered with a reset before any byte is read: what a client
  // meets when it writes on a kept-alive connection just as the server closes it for being idle.
  let server: net.Server;
  let url = '';
  const seen: { connection: number; requestOnIt: number }[] = [];

  before(async () => {
    let connections = 0;
    server = net.createServer((socket) => {
      const connection = ++connections;
      let requests = 0;
      let pending = '';
      socket.on('data', (data: Buffer) => {
        pending += data.toString('latin1');
        while (pending.includes('\r\n\r\n')) {
          pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
          seen.push({ connection, requestOnIt: ++requests });
          if (requests === 2) {
            socket.resetAndDestroy();
            return;
          }
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  test('a request reset on a reused connection is sent once more on a new one', async () => {
    // The client's agent keeps connections alive, so the second request reuses the first's.
    const client = new TailscaleProxyClient({ url, region: 'eu-west-1', credentials: CREDS, target: TARGET, timeoutMs: 5000 });
    assert.equal((await client.request({ path: '/one' })).text(), 'ok');
    assert.equal((await client.request({ path: '/two' })).text(), 'ok');
    client.close();
    assert.deepEqual(seen, [
      { connection: 1, requestOnIt: 1 },
      { connection: 1, requestOnIt: 2 },
      { connection: 2, requestOnIt: 1 },
    ]);
  });
});
