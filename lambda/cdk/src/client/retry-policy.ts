// When a call to the Function URL is tried again, and after how long: pure rules, no I/O.
// Lambda's throttling (429 with x-amzn-ErrorType: TooManyRequestsException) and 5xx answers without
// ts-error-name (the Function URL front end's: tsproxy names every answer it makes) are retried, for
// idempotent methods only. tsproxy does not mark a target's own response, so a target's 5xx is retried as
// well; an idempotent method makes that safe.
import type { IncomingHttpHeaders } from 'http';

export interface RetryOptions {
  /** Tries of one call in all; 1 never retries. @default 3 */
  readonly maxAttempts?: number;
  /** The wait before try n+1 is uniform in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))]. @default 100 */
  readonly baseDelayMs?: number;
  /** @default 20000 */
  readonly maxDelayMs?: number;
}

// RFC 9110 section 9.2.2: a repeat has the same effect on the server as one request.
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

function joined(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : value ?? '';
}

/** Lambda throttled the call, or the Function URL front end failed before tsproxy answered. */
export function isRetryableAnswer(statusCode: number, headers: IncomingHttpHeaders): boolean {
  if (statusCode === 429) return joined(headers['x-amzn-errortype']).startsWith('TooManyRequestsException');
  return statusCode >= 500 && statusCode <= 599 && headers['ts-error-name'] === undefined;
}

/**
 * A request that failed before its answer is sent again on a new connection only when none of its bytes
 * can have reached the server (the connection never opened), or a repeat is harmless.
 */
export function mayResend(method: string, requestWritten: boolean): boolean {
  return !requestWritten || isIdempotent(method);
}

export class RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;

  constructor(options: RetryOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 20000;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new Error('tsproxy client: maxAttempts must be an integer >= 1');
    if (!(this.baseDelayMs >= 0) || !(this.maxDelayMs >= 0)) throw new Error('tsproxy client: baseDelayMs and maxDelayMs must be >= 0');
  }

  /** Milliseconds to wait after the failed try number `attempt` (1-based); `random` in [0, 1). */
  delayMs(attempt: number, random: () => number = Math.random): number {
    return random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
  }
}
