'use strict';
// Minimal Lambda Runtime API loop (2018-06-01) for the node-proxy baseline, shaped like the AWS
// Node.js runtime: one keep-alive connection to the Runtime API, `next` -> handler -> response.
// Prints nothing per invocation unless DEBUG is set (logging would distort the timings).
const http = require('http');

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const BASE = '/2018-06-01/runtime';
const DEBUG = !!process.env.DEBUG;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

let host = '127.0.0.1';
let port = 9001;
if (API) {
  const i = API.lastIndexOf(':');
  host = i > 0 ? API.slice(0, i) : API;
  port = i > 0 ? Number(API.slice(i + 1)) : 80;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
}

function debug(...args) {
  if (DEBUG) console.error('[node-proxy-runtime]', ...args);
}

function call(method, path, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, agent, headers: headers || {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function post(path, payload, extraHeaders) {
  const body = Buffer.from(payload, 'utf8');
  return call('POST', path, body, {
    'Content-Type': 'application/json',
    'Content-Length': body.length,
    ...(extraHeaders || {}),
  });
}

function errorPayload(err) {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    type: e.name || 'Error',
    body: JSON.stringify({
      errorType: e.name || 'Error',
      errorMessage: e.message,
      stackTrace: (e.stack || '').split('\n').slice(1).map((l) => l.trim()),
    }),
  };
}

async function postError(path, err) {
  const p = errorPayload(err);
  return post(path, p.body, { 'Lambda-Runtime-Function-Error-Type': 'Runtime.' + p.type });
}

async function main() {
  if (!API) {
    console.error('AWS_LAMBDA_RUNTIME_API is not set');
    process.exit(1);
  }
  let handler;
  try {
    handler = require('./handler.js').handler;
    if (typeof handler !== 'function') throw new Error('handler.js does not export handler()');
  } catch (err) {
    console.error('init error:', err);
    try { await postError(`${BASE}/init/error`, err); } catch (_) { /* nothing left to tell */ }
    process.exit(1);
  }
  debug('init done, polling', API);

  for (;;) {
    const next = await call('GET', `${BASE}/invocation/next`);
    if (next.status !== 200) throw new Error(`invocation/next answered ${next.status}`);
    const id = next.headers['lambda-runtime-aws-request-id'];
    const trace = next.headers['lambda-runtime-trace-id'];
    if (trace) process.env._X_AMZN_TRACE_ID = trace; else delete process.env._X_AMZN_TRACE_ID;
    const deadline = Number(next.headers['lambda-runtime-deadline-ms']) || 0;
    const context = {
      awsRequestId: id,
      invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'],
      getRemainingTimeInMillis: () => (deadline ? deadline - Date.now() : 0),
    };
    debug('invoke', id);
    let result;
    try {
      const event = JSON.parse(next.body.toString('utf8'));
      result = await handler(event, context);
    } catch (err) {
      debug('handler error', id, err);
      await postError(`${BASE}/invocation/${id}/error`, err);
      continue;
    }
    // JSON.stringify(undefined) is undefined: post `null`, as Lambda records an empty result.
    const json = result === undefined ? 'null' : JSON.stringify(result);
    await post(`${BASE}/invocation/${id}/response`, json);
    debug('done', id);
  }
}

main().catch((err) => {
  console.error('runtime loop failed:', err);
  process.exit(1);
});
