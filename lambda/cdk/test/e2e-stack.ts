// The end-to-end stack both caller clients are tested through: client → tsproxy-local (playing the
// Function URL and Lambda) → bootstrap → microsocks (standing in for tailscaled's SOCKS5 listener) → an
// upstream on loopback. Needs the release build's tsproxy-local and bootstrap (TSPROXY_BUILD_DIR, default
// ../../build/release); without them the tests are skipped, unless TSPROXY_E2E_REQUIRED=1 (CI), which
// makes that a failure.
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { AwsCredentials } from 'tsproxy-cdk/client';
import { PACKAGE_DIR } from './support';

export const BUILD = path.resolve(process.env.TSPROXY_BUILD_DIR ?? path.join(PACKAGE_DIR, '..', '..', 'build', 'release'));
export const LOCAL = path.join(BUILD, 'lambda', 'local', 'tsproxy-local');
export const BOOTSTRAP = path.join(BUILD, 'lambda', 'runtime', 'bootstrap');
export const built = fs.existsSync(LOCAL) && fs.existsSync(BOOTSTRAP);
export const required = process.env.TSPROXY_E2E_REQUIRED === '1';
export const skip = !built && !required ? `no ${LOCAL} and ${BOOTSTRAP} (build them: cmake --build --preset release --target tsproxy-local bootstrap)` : false;
const PY_CLIENT = path.join(PACKAGE_DIR, 'python-client');
const DEADLINE_MS = 10000;

/** Resolves once `check` is true, polling; rejects at the deadline. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + DEADLINE_MS;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type InvokeMode = 'buffered' | 'response_stream';

export class Stack {
  readonly children: ChildProcess[] = [];
  readonly seen: Seen[] = [];
  upstream!: http.Server;
  upstreamPort = 0;
  closedPort = 0;
  url = '';
  private log = '';

  /**
   * `localArgs`: more tsproxy-local options (before the `--` that names the function). `localEnv`: more
   * environment for it (and so for the function), given the stack once its upstream listens; it may
   * replace the defaults below.
   */
  async start(invokeMode: InvokeMode, localArgs: string[] = [], localEnv: (stack: Stack) => Record<string, string> = () => ({})): Promise<void> {
    this.upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url!.startsWith('/big')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.end(Buffer.alloc(3 * 1024 * 1024, 0x5a));
          return;
        }
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/octet-stream', 'set-cookie': ['a=1; Path=/', 'b=2'] });
        res.end(body.length ? body : Buffer.from(`${req.method} ${req.url}`));
      });
    });
    await new Promise<void>((r) => this.upstream.listen(0, '127.0.0.1', r));
    this.upstreamPort = (this.upstream.address() as net.AddressInfo).port;
    this.closedPort = await freePort();

    const socksPort = await freePort();
    this.spawn('microsocks', ['-i', '127.0.0.1', '-p', String(socksPort)], {});
    await waitFor('microsocks to listen', () => accepts(socksPort));

    const args = ['--port', '0', '--runtime-port', '0', '--invoke-mode', invokeMode, '--timeout-ms', '15000', ...localArgs, '--', BOOTSTRAP];
    const local = this.spawn(LOCAL, args, {
      TSPROXY_SOCKS5_ADDRESS: `127.0.0.1:${socksPort}`,
      TSPROXY_INVOKE_MODE: invokeMode,
      TSPROXY_ALLOWED_TARGETS: `127.0.0.1:${this.upstreamPort},127.0.0.1:${this.closedPort}`,
      TSPROXY_TAILSCALE_SOCKET: 'none',
      ...localEnv(this),
    });
    await waitFor('tsproxy-local to report ready', () => {
      if (local.exitCode !== null) throw new Error(`tsproxy-local exited: ${this.log}`);
      const m = /"event":"ready","url":"([^"]+)"/.exec(this.log);
      if (m) this.url = m[1];
      return m !== null;
    });
  }

  /**
   * The reason tsproxy-local logged for refusing the request it answered with `x-amzn-RequestId:
   * requestId` (its `{"level":"WARN","msg":"auth_rejected"}` line), once that line arrived.
   */
  async rejectionReason(requestId: string): Promise<string> {
    let reason: string | undefined;
    await waitFor(`the auth_rejected log line of ${requestId}`, () => {
      for (const line of this.log.split('\n')) {
        if (!line.includes('"auth_rejected"') || !line.includes(requestId)) continue;
        const entry = JSON.parse(line);
        if (entry.msg === 'auth_rejected' && entry.request_id === requestId) reason = entry.reason;
      }
      return reason !== undefined;
    });
    return reason!;
  }

  private spawn(cmd: string, args: string[], env: Record<string, string>): ChildProcess {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.children.push(child);
    return child;
  }

  async stop(): Promise<void> {
    for (const c of this.children.reverse()) c.kill('SIGTERM');
    this.upstream?.closeAllConnections();
    await new Promise((r) => this.upstream?.close(r) ?? r(undefined));
  }
}

/**
 * One request for the Python client (python-client/src). `body` in base64. `credentials`: this request's
 * key instead of the default one. `clockSkewS`: the client's clock runs that many seconds ahead (behind
 * when negative) while it signs. `tamper`: the request the client built and signed is sent with its
 * body's first byte changed, by a raw http.client request. `diagnose`: client.diagnose() instead of a
 * request; the result's body is the diagnosis as JSON, or its proxy_error the refusal.
 */
export interface PythonCall {
  method: string;
  path: string;
  query?: string | [string, string][];
  headers?: Record<string, string>;
  body?: string;
  port?: number;
  stream?: boolean;
  credentials?: [string, string] | [string, string, string];
  clockSkewS?: number;
  tamper?: boolean;
  diagnose?: boolean;
}

/** What the Python client saw: `headers` as (lowercase name, value) pairs, `body` in base64. */
export interface PythonResult {
  status: number;
  headers: [string, string][];
  body: string;
  proxy_error: [string, string] | null;
}

/**
 * Runs requests with the Python client (python-client/src), signing with `credentials` unless a call
 * names its own; returns what it saw. Not synchronous: the upstream answering them runs in this process.
 */
export function pythonCalls(url: string, port: number, credentials: AwsCredentials, calls: PythonCall[]): Promise<PythonResult[]> {
  const defaultKey = [credentials.accessKeyId, credentials.secretAccessKey, ...(credentials.sessionToken ? [credentials.sessionToken] : [])];
  const script = `
import base64, contextlib, datetime, http.client, json, sys, types
from unittest import mock
sys.path[:0] = [${JSON.stringify(path.join(PY_CLIENT, 'src'))}]
import tsproxy_client.client as client_module
from tsproxy_client import ProxyTarget, TailscaleProxyClient
from tsproxy_client.client import DiagnoseRefused, proxy_error_of

def shifted_clock(seconds):
    # The client reads the time through its module's datetime; this one runs that many seconds off.
    class Shifted(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.now(tz) + datetime.timedelta(seconds=seconds)
    return mock.patch.object(client_module, "datetime", types.SimpleNamespace(datetime=Shifted, timezone=datetime.timezone))

def result(status, headers, data):
    headers = [(k.lower(), v) for k, v in headers]
    error = proxy_error_of(status, headers)
    return {"status": status, "headers": headers, "body": base64.b64encode(data).decode(),
            "proxy_error": error and [error.name, error.message]}

def send_tampered(signed):
    body = bytes([signed.body[0] ^ 0xFF]) + signed.body[1:]
    connection = http.client.HTTPConnection(signed.host, signed.port, timeout=10)
    try:
        connection.putrequest(signed.method, signed.path, skip_host=True, skip_accept_encoding=True)
        for name, value in signed.headers:
            connection.putheader(name, value)
        connection.endheaders(body)
        raw = connection.getresponse()
        return result(raw.status, raw.getheaders(), raw.read())
    finally:
        connection.close()

out = []
for c in json.load(sys.stdin):
    client = TailscaleProxyClient(${JSON.stringify(url)}, ProxyTarget(ip="127.0.0.1", port=c.get("port", ${port})), region="eu-west-1",
                                  credentials=tuple(c.get("credentials", ${JSON.stringify(defaultKey)})), timeout=10)
    args = dict(query=c.get("query"), headers=c.get("headers"), body=base64.b64decode(c["body"]) if c.get("body") else None)
    with shifted_clock(c["clockSkewS"]) if "clockSkewS" in c else contextlib.nullcontext():
        if c.get("diagnose"):
            try:
                out.append(result(200, [], json.dumps(client.diagnose()).encode()))
            except DiagnoseRefused as refused:
                out.append({"status": refused.status_code, "headers": [], "body": "",
                            "proxy_error": refused.error and [refused.error.name, refused.error.message]})
        elif c.get("tamper"):
            out.append(send_tampered(client.build(c["method"], c["path"], **args)))
        elif c.get("stream"):
            with client.stream(c["method"], c["path"], **args) as r:
                out.append(result(r.status_code, r.headers, b"".join(r.iter_bytes())))
        else:
            r = client.request(c["method"], c["path"], **args)
            out.append(result(r.status_code, r.headers, r.body))
print(json.dumps(out))`;
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', script], { timeout: 30000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
    child.stdin!.end(JSON.stringify(calls));
  });
}
