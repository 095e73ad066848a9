'use strict';
// Benchmark baseline: a plain-JavaScript re-creation of the request path of the Node.js
// "tailscale-lambda-proxy" handler (src/lambda/tailscale-proxy/{index,proxy-http-request}.ts,
// socks-proxy-agent ^8), so tsproxy is compared against the same design, costs and defects.
// Re-written in plain CommonJS from its documentation and its published behaviour.
//
// Defects kept ON PURPOSE (marked "DEFECT" below) - do not fix them here:
//   D1  A new SocksProxyAgent (and so a new SOCKS5 + TCP (+ TLS) connection) for every request
//       and every retry: no connection reuse at all.
//   D2  The query string is dropped: only the path is forwarded.
//   D3  A base64 request body is decoded and then turned into a UTF-8 *string*: binary bodies
//       are corrupted (invalid sequences become U+FFFD) and the caller's content-length no
//       longer matches what is sent.
//   D4  Payload 2.0 moves cookies out of `headers` into `event.cookies`; they are never put back,
//       so the target never sees the caller's cookies.
//   D5  Only authorization/x-amz-date/host/x-amz-content-sha256 and ts-* are removed: the
//       caller's x-amz-security-token and hop-by-hop headers (content-length, ...) go through.
//   D6  The whole response is buffered and returned as base64, whatever its type; repeated
//       headers come back as Node produced them (set-cookie as an array, others joined).
//   D7  Every failure other than a missing routing header is a 500 (unreachable, refused,
//       TLS, timeout alike); no request timeout of its own (the Lambda timeout ends it).
//   D8  Retries only on the exact SOCKS5 reply "general failure", after 10, 50, 100, 500, 1000,
//       2000, 3000 ms; after the last sleep it does not try again and returns `undefined`
//       (the runtime then posts `null`).
//   D9  The failure metric is named "error" in the code (the docs say "failure").
const http = require('http');
const https = require('https');
const { SocksProxyAgent } = require('socks-proxy-agent');

const SOCKS_URL = 'socks5://' + (process.env.TSPROXY_SOCKS5_ADDRESS || '127.0.0.1:1055');
const RETRY_DELAYS_MS = [10, 50, 100, 500, 1000, 2000, 3000];
const SOCKS_GENERAL_FAILURE = 'Error: Socks5 proxy rejected connection - Failure';
const AWS_SPECIFIC_HEADERS = ['authorization', 'x-amz-date', 'host', 'x-amz-content-sha256'];

function logError(...args) {
  console.error('[tailscale-proxy] ERROR', ...args);
}
function logInfo(...args) {
  console.log('[tailscale-proxy] INFO', ...args);
}
function logDebug(...args) {
  if (process.env.DEBUG) console.log('[tailscale-proxy] DEBUG', ...args);
}

// Stand-in for @aws-lambda-powertools/metrics: one Embedded Metric Format line per request.
class Metrics {
  constructor(namespace, service) {
    this.namespace = namespace;
    this.dimensions = { service };
    this.values = {};
  }
  addDimension(name, value) {
    this.dimensions[name] = value;
  }
  addMetric(name, value) {
    this.values[name] = value;
  }
  publish() {
    const names = Object.keys(this.values);
    if (names.length === 0) return;
    console.log(JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{
          Namespace: this.namespace,
          Dimensions: [Object.keys(this.dimensions)],
          Metrics: names.map((n) => ({ Name: n, Unit: 'Count' })),
        }],
      },
      ...this.dimensions,
      ...this.values,
    }));
  }
}

function requestOnce(target, isHttps, request) {
  // DEFECT D1: a fresh agent per attempt, never reused.
  const agent = new SocksProxyAgent(SOCKS_URL);
  return new Promise((resolve, reject) => {
    const chunks = [];
    // Loose comparison on purpose: the port is the header's string ('443' == 443).
    // eslint-disable-next-line eqeqeq
    const lib = isHttps === undefined ? (target.port == 443 ? https : http) : (isHttps ? https : http);
    const req = lib.request({
      hostname: target.hostname,
      port: target.port,
      agent,
      path: request.path,
      method: request.method,
      headers: request.headers,
    }, (res) => {
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        // DEFECT D6: always buffered, always base64.
        resolve({
          statusCode: res.statusCode || 500,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('base64'),
          isBase64Encoded: true,
        });
      });
      res.on('error', (err) => {
        logError('Error receiving response:', err);
        reject(err);
      });
    });
    req.on('error', (err) => {
      logError('Error sending request:', err);
      reject(err);
    });
    if (request.body != null) req.write(request.body);
    req.end();
  });
}

async function proxyHttpRequest(target, isHttps, request) {
  let attempt = 0;
  let success = false;
  let response;
  do {
    try {
      response = await requestOnce(target, isHttps, request);
      success = true;
    } catch (err) {
      // DEFECT D8: matched by the error's string form; other SOCKS replies are not retried.
      // eslint-disable-next-line eqeqeq
      if (String(err) == SOCKS_GENERAL_FAILURE && attempt < RETRY_DELAYS_MS.length) {
        logError(SOCKS_GENERAL_FAILURE);
        logInfo('Retrying in', RETRY_DELAYS_MS[attempt], 'ms');
        await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
        attempt++;
      } else {
        throw err;
      }
    }
    // DEFECT D8: leaves after the 7th sleep without an 8th attempt; `response` stays undefined.
  } while (!success && attempt < RETRY_DELAYS_MS.length);
  if (attempt > 0) {
    logInfo(SOCKS_GENERAL_FAILURE, '- RESOLVED - attempt:', attempt, 'total delay time:',
      RETRY_DELAYS_MS.slice(0, attempt).reduce((a, b) => a + b, 0));
  }
  return response;
}

function missingHeader(name) {
  const message = `Missing header '${name}'`;
  return {
    statusCode: 400,
    headers: {
      // The original sent only `ts-error`; the name/message pair is added so callers and the
      // harness can recognise it like every other proxy-made error.
      'ts-error': message,
      'ts-error-name': 'Error',
      'ts-error-message': message,
    },
  };
}

async function handler(event) {
  if (event && 'warmer' in event) {
    logDebug(`Warmer invocation detected (index: ${event.warmerIndex}, timestamp: ${event.warmerTimestamp})`);
    return { success: true };
  }
  logDebug('Event:', JSON.stringify(event, null, 2));

  let metrics;
  try {
    const headers = event.headers || {};
    let isHttps; // undefined: https exactly when the port is 443
    if (!headers['ts-target-ip']) return missingHeader('ts-target-ip');
    if (!headers['ts-target-port']) return missingHeader('ts-target-port');
    if (headers['ts-https']) isHttps = headers['ts-https'] === 'true';
    if (headers['ts-metric-service']) {
      metrics = new Metrics('tailscale-service', headers['ts-metric-service']);
      if (headers['ts-metric-dimension-name'] && headers['ts-metric-dimension-value']) {
        metrics.addDimension(headers['ts-metric-dimension-name'], headers['ts-metric-dimension-value']);
      }
    }

    // DEFECT D5 / D4: a deny-list of four names plus ts-*; cookies are not restored.
    const targetHeaders = {};
    for (const [key, value] of Object.entries(headers)) {
      if (!key.startsWith('ts-') && !AWS_SPECIFIC_HEADERS.includes(key.toLowerCase())) {
        targetHeaders[key] = value;
      }
    }
    if (headers['ts-authorization']) targetHeaders.Authorization = headers['ts-authorization'];
    if (headers['ts-x-amz-date']) targetHeaders['x-amz-date'] = headers['ts-x-amz-date'];
    if (headers['ts-host']) targetHeaders.host = headers['ts-host'];
    if (headers['ts-x-amz-content-sha256']) {
      targetHeaders['x-amz-content-sha256'] = headers['ts-x-amz-content-sha256'];
    }

    // DEFECT D3: base64 -> bytes -> UTF-8 string. Any byte sequence that is not valid UTF-8
    // (images, gzip, protobuf, ...) is replaced by U+FFFD and re-encoded, so the target gets
    // different bytes (and a different length) than the caller sent.
    const body = event.body
      ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf-8') : event.body)
      : undefined;

    const response = await proxyHttpRequest({
      hostname: headers['ts-target-ip'],
      port: headers['ts-target-port'],
    }, isHttps, {
      // DEFECT D2: path only (the original read requestContext.http.path, the same value);
      // event.rawQueryString is never appended.
      path: event.rawPath || (event.requestContext && event.requestContext.http.path),
      headers: targetHeaders,
      method: event.requestContext.http.method,
      body,
    });

    if (metrics) metrics.addMetric('success', 1);
    logDebug('Response', JSON.stringify(response, null, 2));
    return response;
  } catch (err) {
    if (metrics) metrics.addMetric('error', 1); // DEFECT D9
    // DEFECT D7: everything is a 500.
    return {
      statusCode: 500,
      headers: {
        'ts-error-name': err.name,
        'ts-error-message': err.message,
      },
    };
  } finally {
    if (metrics) metrics.publish();
  }
}

module.exports = { handler };
