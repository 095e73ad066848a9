// Sends requests through tsproxy's Function URL and tells tsproxy's own answers (ts-error-name) from the
// target's. Buffered or streamed reads; every call has one deadline over all its attempts. One credential
// source and one keep-alive agent per client; retries follow retry-policy.ts.
import * as http from 'http';
import * as https from 'https';
import { Readable } from 'stream';
import { CredentialProvider, defaultCredentialProvider } from './default-credentials';
import { AwsCredentials, ProxyMetric, ProxyRequest, ProxyTarget, SignedRequest, buildSignedRequest } from './request-builder';
import { RetryOptions, RetryPolicy, isIdempotent, isRetryableAnswer, mayResend } from './retry-policy';

export interface TailscaleProxyClientOptions extends RetryOptions {
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
   * Credentials, or a provider returning them (called per attempt, e.g. to refresh them).
   * @default - the AWS SDK v3 default provider chain when `@aws-sdk/credential-providers` is installed, else
   * `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (what Lambda gives a function)
   */
  readonly credentials?: AwsCredentials | (() => AwsCredentials | Promise<AwsCredentials>);
  /** CloudWatch metric headers (`ts-metric-*`) sent with every request. */
  readonly metric?: ProxyMetric;
  /**
   * Deadline of a whole buffered call, or of a streamed one until its headers, over all attempts.
   * @default 30000
   */
  readonly timeoutMs?: number;
  /**
   * The agent carrying the requests.
   * @default - a keep-alive agent of the client's own (idle connections closed after 5 s, and by `close()`)
   */
  readonly agent?: http.Agent;
}

type AttemptError = Error & { requestWritten?: boolean };

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

/**
 * tsproxy did not diagnose the target: `proxyError` is its answer (403 `DiagnoseNotAllowed` when this caller
 * may not ask), or undefined when the answer was no diagnosis at all (a tsproxy that predates `ts-diagnose`
 * forwards the request).
 */
export class DiagnoseRefusedError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
    readonly proxyError?: ProxyError,
  ) {
    super(message);
    this.name = 'DiagnoseRefusedError';
  }
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
  private readonly retry: RetryPolicy;
  private readonly credentials: CredentialProvider;
  private readonly agent: http.Agent;
  private readonly ownsAgent: boolean;
  /** Waits between attempts; a test may replace it. */
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  constructor(options: TailscaleProxyClientOptions) {
    this.options = options;
    const region = options.region ?? regionFromUrl(options.url) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new Error('tsproxy client: no region: pass region, or set AWS_REGION');
    this.region = region;
    this.retry = new RetryPolicy(options);
    const c = options.credentials;
    this.credentials = typeof c === 'function' ? async () => c() : c ? async () => c : defaultCredentialProvider();
    this.ownsAgent = options.agent === undefined;
    // Node's own global agent settings: the most recently used connection first, and one idle for 5 s is
    // closed, before a front end's idle timeout can close it under a request.
    const agentOptions: http.AgentOptions = { keepAlive: true, scheduling: 'lifo', timeout: 5000 };
    this.agent = options.agent ?? (new URL(options.url).protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions));
  }

  /** Sends the request and reads the whole response. */
  async request(request: ProxyRequest): Promise<ProxyResponse> {
    const deadline = Date.now() + (this.options.timeoutMs ?? 30000);
    const response = await this.call(request, deadline);
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
    const response = await this.call(request, Date.now() + (this.options.timeoutMs ?? 30000));
    const statusCode = response.statusCode ?? 0;
    return { statusCode, headers: response.headers, proxyError: proxyErrorOf(statusCode, response.headers), body: response };
  }

  /**
   * Asks tsproxy why the target (default: the client's) can or cannot be reached, instead of reaching it:
   * the diagnosis as parsed JSON, one section per step with `result` and a plain-words `verdict` (README,
   * Troubleshooting). Rejects with DiagnoseRefusedError when tsproxy answers anything else.
   */
  async diagnose(target?: ProxyTarget): Promise<Record<string, unknown>> {
    const response = await this.request({ method: 'GET', path: '/', target, diagnose: true });
    const error = response.proxyError;
    if (error) throw new DiagnoseRefusedError(`${error.name}: ${error.message}`, response.statusCode, error);
    if (response.statusCode !== 200 || response.headers['ts-diagnose'] !== 'true') {
      throw new DiagnoseRefusedError(`the answer (status ${response.statusCode}) is not a diagnosis: this tsproxy does not know ts-diagnose`, response.statusCode);
    }
    return response.json() as Record<string, unknown>;
  }

  /** Closes the idle keep-alive connections of the client's own agent. */
  close(): void {
    if (this.ownsAgent) this.agent.destroy();
  }

  // Attempts until an answer that is not retried, the attempt limit, or the deadline.
  private async call(request: ProxyRequest, deadline: number): Promise<http.IncomingMessage> {
    const method = (request.method ?? 'GET').toUpperCase();
    for (let attempt = 1; ; attempt++) {
      const wait = this.retry.delayMs(attempt);
      const last = attempt >= this.retry.maxAttempts || Date.now() + wait >= deadline;
      // Signed per attempt: fresh credentials and date.
      const signed = await this.sign(request);
      try {
        const response = await this.send(signed, deadline);
        if (last || !isIdempotent(method) || !isRetryableAnswer(response.statusCode ?? 0, response.headers)) return response;
        response.resume();
      } catch (e) {
        if (last || !mayResend(method, (e as AttemptError).requestWritten !== false)) throw e;
      }
      await this.sleep(wait);
    }
  }

  private async sign(request: ProxyRequest): Promise<SignedRequest> {
    const credentials = await this.credentials();
    if (!credentials.accessKeyId || !credentials.secretAccessKey) {
      throw new Error('tsproxy client: no AWS credentials: pass credentials, install @aws-sdk/credential-providers, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
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

  // One attempt. A failure carries requestWritten: false when the connection never opened, so no byte
  // of the request can have reached the server.
  private send(signed: SignedRequest, deadline: number): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const client = signed.protocol === 'https:' ? https : http;
      let connected = false;
      const req = client.request(
        { hostname: signed.hostname, port: signed.port, method: signed.method, path: signed.path, headers: signed.headers, agent: this.agent },
        (response) => (clearTimeout(timer), resolve(response)),
      );
      req.on('socket', (socket) => {
        // A reused keep-alive socket is open: the request is written at once.
        if (!socket.connecting) connected = true;
        else socket.once(signed.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true));
      });
      const timer = setTimeout(
        () => req.destroy(Object.assign(new Error('tsproxy client: no response head within the deadline'), { requestWritten: true })),
        Math.max(0, deadline - Date.now()),
      );
      req.on('error', (e: AttemptError) => {
        clearTimeout(timer);
        if (e.requestWritten === undefined) e.requestWritten = connected;
        reject(e);
      });
      req.end(signed.body.length > 0 ? signed.body : undefined);
    });
  }
}
