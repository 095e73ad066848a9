// Sends requests through tsproxy's Function URL and tells tsproxy's own answers (ts-error-name) from the
// target's. Buffered or streamed reads; every request has a deadline.
import * as http from 'http';
import * as https from 'https';
import { Readable } from 'stream';
import { AwsCredentials, ProxyMetric, ProxyRequest, ProxyTarget, SignedRequest, buildSignedRequest } from './request-builder';

export interface TailscaleProxyClientOptions {
  /** The proxy's Function URL (`tailscaleProxy.lambdaFunctionUrl.url`). */
  readonly url: string;
  /** The target of every request, unless a request names its own. */
  readonly target: ProxyTarget;
  /**
   * AWS region of the Function URL.
   * @default - from a `*.lambda-url.<region>.on.aws` URL, else `AWS_REGION` / `AWS_DEFAULT_REGION`
   */
  readonly region?: string;
  /**
   * Credentials, or a function returning them (called per request, e.g. to refresh them).
   * @default - `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (what Lambda gives a function)
   */
  readonly credentials?: AwsCredentials | (() => AwsCredentials | Promise<AwsCredentials>);
  /** CloudWatch metric headers (`ts-metric-*`) sent with every request. */
  readonly metric?: ProxyMetric;
  /**
   * Deadline of a whole buffered request, or of a streamed one until its headers.
   * @default 30000
   */
  readonly timeoutMs?: number;
}

/** A response made by tsproxy itself (it carries `ts-error-name`), not by the target. */
export interface ProxyError {
  readonly name: string;
  readonly message: string;
  readonly statusCode: number;
}

export interface ProxyResponseHead {
  readonly statusCode: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Set when tsproxy answered instead of the target (unreachable, refused, not allowed, timeout...). */
  readonly proxyError?: ProxyError;
}

export interface ProxyResponse extends ProxyResponseHead {
  readonly body: Buffer;
  text(): string;
  json(): unknown;
}

export interface ProxyStreamResponse extends ProxyResponseHead {
  /** The body as it arrives; in streaming mode a failure mid-stream ends it early with an error. */
  readonly body: Readable;
}

export function regionFromUrl(url: string): string | undefined {
  const m = /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(new URL(url).hostname);
  return m?.[1];
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

export function proxyErrorOf(statusCode: number, headers: http.IncomingHttpHeaders): ProxyError | undefined {
  const name = one(headers['ts-error-name']);
  return name === undefined ? undefined : { name, message: one(headers['ts-error-message']) ?? '', statusCode };
}

export class TailscaleProxyClient {
  private readonly options: TailscaleProxyClientOptions;
  private readonly region: string;

  constructor(options: TailscaleProxyClientOptions) {
    this.options = options;
    const region = options.region ?? regionFromUrl(options.url) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new Error('tsproxy client: no region: pass region, or set AWS_REGION');
    this.region = region;
  }

  /** Sends the request and reads the whole response. */
  async request(request: ProxyRequest): Promise<ProxyResponse> {
    const signed = await this.sign(request);
    const deadline = Date.now() + (this.options.timeoutMs ?? 30000);
    const response = await this.send(signed, deadline);
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => response.destroy(new Error('tsproxy client: response not complete within the deadline')), Math.max(0, deadline - Date.now()));
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => (clearTimeout(timer), resolve()));
      response.on('error', (e) => (clearTimeout(timer), reject(e)));
      response.on('aborted', () => (clearTimeout(timer), reject(new Error('tsproxy client: response ended early'))));
    });
    const body = Buffer.concat(chunks);
    const statusCode = response.statusCode ?? 0;
    return {
      statusCode,
      headers: response.headers,
      proxyError: proxyErrorOf(statusCode, response.headers),
      body,
      text: () => body.toString('utf8'),
      json: () => JSON.parse(body.toString('utf8')),
    };
  }

  /** Sends the request and returns as soon as the response head arrived; the body is read as a stream. */
  async stream(request: ProxyRequest): Promise<ProxyStreamResponse> {
    const signed = await this.sign(request);
    const response = await this.send(signed, Date.now() + (this.options.timeoutMs ?? 30000));
    const statusCode = response.statusCode ?? 0;
    return { statusCode, headers: response.headers, proxyError: proxyErrorOf(statusCode, response.headers), body: response };
  }

  private async sign(request: ProxyRequest): Promise<SignedRequest> {
    const c = this.options.credentials;
    const credentials =
      typeof c === 'function'
        ? await c()
        : c ?? {
            accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
            secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
            sessionToken: process.env.AWS_SESSION_TOKEN || undefined,
          };
    if (!credentials.accessKeyId || !credentials.secretAccessKey) {
      throw new Error('tsproxy client: no AWS credentials: pass credentials, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    }
    return buildSignedRequest({
      url: this.options.url,
      region: this.region,
      credentials,
      target: this.options.target,
      metric: this.options.metric,
      request,
      now: new Date(),
    });
  }

  private send(signed: SignedRequest, deadline: number, fresh = false): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const client = signed.protocol === 'https:' ? https : http;
      const req = client.request(
        { hostname: signed.hostname, port: signed.port, method: signed.method, path: signed.path, headers: signed.headers },
        (response) => (clearTimeout(timer), resolve(response)),
      );
      const timer = setTimeout(
        () => req.destroy(new Error('tsproxy client: no response head within the deadline')),
        Math.max(0, deadline - Date.now()),
      );
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // A keep-alive connection the server closed while it sat idle fails the next request written on it
        // before any of it is read: send it once more on a new connection (the signature still holds).
        if (!fresh && req.reusedSocket && e.code === 'ECONNRESET') {
          this.send(signed, deadline, true).then(resolve, reject);
        } else {
          reject(e);
        }
      });
      req.end(signed.body.length > 0 ? signed.body : undefined);
    });
  }
}
