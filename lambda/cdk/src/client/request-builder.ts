// Builds the bytes of one signed request to tsproxy's Function URL, as a value (no I/O): the target's
// path, query, headers and body, the ts-* routing headers of docs/PROTOCOLS.md section 1, and a SigV4
// signature (service "lambda") over all of it, computed by the aws4 package.
import aws4 = require('aws4');

export interface ProxyTarget {
  /** Tailscale IP (v4 or v6) of the target (`ts-target-ip`). */
  readonly ip?: string;
  /** MagicDNS name of the target (`ts-target-host`); also the TLS server name. */
  readonly host?: string;
  /** Target port (`ts-target-port`). */
  readonly port: number;
  /** TLS or not (`ts-https`); absent: TLS exactly when the port is 443. */
  readonly https?: boolean;
}

export interface ProxyMetric {
  readonly service: string;
  readonly dimensionName?: string;
  readonly dimensionValue?: string;
}

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Query parameters: a raw string (percent-encoded; `+` is a literal plus), an object, or ordered pairs. */
export type QueryInput = string | Readonly<Record<string, string | readonly string[]>> | ReadonlyArray<readonly [string, string]>;

export interface ProxyRequest {
  readonly method?: string;
  /** Path on the target, percent-encoded or not; may carry `?query` when `query` is not given. */
  readonly path?: string;
  readonly query?: QueryInput;
  /** Headers for the target. `authorization`, `host`, `x-amz-date` and `x-amz-content-sha256` are sent as their ts- forms. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Overrides the client's target for this request. */
  readonly target?: ProxyTarget;
  /** Asks for a diagnosis of the target instead of its answer (`ts-diagnose: true`, docs/PROTOCOLS.md 1.6). */
  readonly diagnose?: boolean;
}

export interface SignedRequest {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
  readonly method: string;
  /** Path and query exactly as sent. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface BuildInput {
  readonly url: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly target: ProxyTarget;
  readonly metric?: ProxyMetric;
  readonly request: ProxyRequest;
  readonly now: Date;
}

/** Headers the Function URL's own signature occupies; a target's copies travel under ts- names. */
export const MOVED_HEADERS = ['authorization', 'host', 'x-amz-date', 'x-amz-content-sha256'];

/** Never forwarded to the target by tsproxy, and without a ts- form. */
const UNFORWARDABLE = ['x-amz-security-token'];

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// RFC 3986 unreserved characters stay, everything else is %XX of its UTF-8 bytes: the one encoding every
// SigV4 implementation canonicalizes the same way.
export function strictEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`tsproxy client: invalid percent-encoding in '${text}'`);
  }
}

/** The query as sent: strictly encoded pairs in the caller's order (`key` without `=` kept so). */
export function encodeQuery(query: QueryInput | undefined): string {
  if (query === undefined) return '';
  const parts: string[] = [];
  if (typeof query === 'string') {
    for (const piece of query.replace(/^\?/, '').split('&')) {
      if (piece === '') continue;
      const eq = piece.indexOf('=');
      parts.push(
        eq === -1
          ? strictEncode(percentDecode(piece))
          : `${strictEncode(percentDecode(piece.slice(0, eq)))}=${strictEncode(percentDecode(piece.slice(eq + 1)))}`,
      );
    }
  } else if (Array.isArray(query)) {
    for (const [k, v] of query as ReadonlyArray<readonly [string, string]>) parts.push(`${strictEncode(k)}=${strictEncode(v)}`);
  } else {
    for (const [k, v] of Object.entries(query as Record<string, string | readonly string[]>)) {
      for (const one of typeof v === 'string' ? [v] : v) parts.push(`${strictEncode(k)}=${strictEncode(one)}`);
    }
  }
  return parts.join('&');
}

// Characters aws4 leaves alone in a path; anything else (space, non-ASCII, '#', ...) is percent-encoded
// here so that the path signed and the path sent are the same bytes.
export function encodePath(path: string): string {
  const p = path.startsWith('/') ? path : `/${path}`;
  return p.replace(/[^0-9A-Za-z;,/:@&=+$\-_.!~*'()%]/g, (c) => strictEncode(c));
}

function targetHeaders(target: ProxyTarget, metric: ProxyMetric | undefined, diagnose: boolean): Record<string, string> {
  if (!target.ip && !target.host) throw new Error('tsproxy client: the target needs an ip or a host');
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new Error(`tsproxy client: target port ${target.port} is not 1-65535`);
  }
  const h: Record<string, string> = { 'ts-target-port': String(target.port) };
  if (target.ip) h['ts-target-ip'] = target.ip;
  if (target.host) h['ts-target-host'] = target.host;
  if (target.https !== undefined) h['ts-https'] = target.https ? 'true' : 'false';
  if (metric) {
    h['ts-metric-service'] = metric.service;
    if (metric.dimensionName && metric.dimensionValue) {
      h['ts-metric-dimension-name'] = metric.dimensionName;
      h['ts-metric-dimension-value'] = metric.dimensionValue;
    }
  }
  if (diagnose) h['ts-diagnose'] = 'true';
  return h;
}

function callerHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(headers ?? {})) {
    const name = rawName.toLowerCase();
    if (!HEADER_NAME.test(name)) throw new Error(`tsproxy client: invalid header name '${rawName}'`);
    if (/[\r\n\0]/.test(value)) throw new Error(`tsproxy client: header ${rawName} holds CR, LF or NUL`);
    if (UNFORWARDABLE.includes(name)) throw new Error(`tsproxy client: tsproxy never forwards ${name} to a target`);
    if (name === 'content-length') continue; // framed from the body
    if (name.startsWith('ts-') && !MOVED_HEADERS.includes(name.slice(3))) {
      throw new Error(`tsproxy client: ${name} is tsproxy's own header; set the target and metric options instead`);
    }
    const sent = MOVED_HEADERS.includes(name) ? `ts-${name}` : name;
    if (out[sent] !== undefined) throw new Error(`tsproxy client: header ${sent} given twice`);
    out[sent] = value;
  }
  return out;
}

/** The signed request, byte for byte; the same input always gives the same output. */
export function buildSignedRequest(input: BuildInput): SignedRequest {
  const url = new URL(input.url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`tsproxy client: unsupported URL ${input.url}`);
  const req = input.request;
  const method = (req.method ?? 'GET').toUpperCase();
  let rawPath = req.path ?? '/';
  let query = req.query;
  const q = rawPath.indexOf('?');
  if (q !== -1) {
    if (query !== undefined) throw new Error('tsproxy client: the path holds a query and query is given too');
    query = rawPath.slice(q + 1);
    rawPath = rawPath.slice(0, q);
  }
  const queryString = encodeQuery(query);
  const path = encodePath(rawPath) + (queryString ? `?${queryString}` : '');
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body as Uint8Array | string);

  const headers: Record<string, string> = {
    ...callerHeaders(req.headers),
    ...targetHeaders(req.target ?? input.target, input.metric, req.diagnose === true),
    host: url.host,
    'x-amz-date': input.now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''),
  };
  if (body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(method)) headers['content-length'] = String(body.length);

  const opts: aws4.Request = { host: url.hostname, path, method, headers, service: 'lambda', region: input.region };
  const signer = new aws4.RequestSigner(opts, {
    accessKeyId: input.credentials.accessKeyId,
    secretAccessKey: input.credentials.secretAccessKey,
    sessionToken: input.credentials.sessionToken,
  });
  // The body is given to aws4 only after it prepared the headers: with it, aws4 would add a Content-Type
  // the target would receive. Its signature then covers the body's SHA-256.
  signer.prepareRequest();
  (opts as { body?: Buffer }).body = body;
  signer.sign();
  // aws4 rewrites the query it signed in its own parameter order; the signature covers the sorted
  // parameters, so the caller's order is sent.
  return {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    method,
    path,
    headers: opts.headers as Record<string, string>,
    body,
  };
}
