// The function's environment: what tsproxy's bootstrap (TSPROXY_*, DEBUG, NODE_TLS_REJECT_UNAUTHORIZED)
// and its Tailscale extension (TS_*) read, built from the construct's options. Pure, so that the
// mapping is tested as a value. The ranges are the programs' own, read from the configuration contract.
import * as cdk from 'aws-cdk-lib';
import { contractBounds } from './config-contract';

export interface ProxySettings {
  readonly secretArn: string;
  readonly hostname: string;
  readonly advertiseTags?: string;
  readonly exitNode?: string;
  readonly exitNodeRequired?: boolean;
  readonly exitNodePingTimeoutMs?: number;
  readonly exitNodePingRetries?: number;
  readonly debug?: boolean;
  readonly nodeTlsRejectUnauthorized?: boolean;
  readonly invokeMode: 'buffered' | 'response_stream';
  readonly allowedTargets?: readonly string[];
  readonly prewarmTargets?: readonly string[];
  readonly prewarmConnections?: number;
  readonly pool?: {
    readonly enabled?: boolean;
    readonly maxIdlePerTarget?: number;
    readonly maxIdleTotal?: number;
    readonly idleTimeoutMs?: number;
    readonly maxRequestsPerConnection?: number;
    readonly maxAgeMs?: number;
  };
  readonly tlsVerify?: boolean;
  readonly tlsCaFile?: string;
  readonly logLevel?: string;
  readonly metricsNamespace?: string;
  readonly metricPhases?: boolean;
  readonly callerPolicy?: string;  // TSPROXY_CALLER_POLICY's JSON (may hold tokens)
  readonly traceContext?: boolean;
  readonly diagnose?: boolean;
  readonly extra?: Readonly<Record<string, string>>;
}

// `value` checked against the bounds the contract gives `variable`: a value outside them would make the
// function fail its init, so it fails the synth instead. `name` is the option as the caller wrote it.
function integer(name: string, value: number | undefined, variable: string): string | undefined {
  if (value === undefined) return undefined;
  if (cdk.Token.isUnresolved(value)) return cdk.Token.asString(value);
  const { min, max } = contractBounds(variable);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`tsproxy-cdk: ${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return String(value);
}

function list(name: string, entries: readonly string[] | undefined): string | undefined {
  if (entries === undefined) return undefined;
  for (const e of entries) {
    if (cdk.Token.isUnresolved(e)) continue;
    if (e.trim() === '' || e.includes(',')) throw new Error(`tsproxy-cdk: ${name} entry '${e}' is empty or holds a comma`);
  }
  return entries.map((e) => e.trim()).join(',');
}

function flag(value: boolean | undefined): string | undefined {
  return value === undefined ? undefined : value ? 'true' : 'false';
}

export function proxyEnvironment(s: ProxySettings): Record<string, string> {
  const env: Record<string, string | undefined> = {
    // The extension's (names and meanings as the Node.js extension defined them).
    TS_SECRET_API_KEY: s.secretArn,
    TS_HOSTNAME: s.hostname,
    TS_ADVERTISE_TAGS: s.advertiseTags || undefined,
    TS_EXIT_NODE: s.exitNode || undefined,
    TS_EXIT_NODE_REQUIRED: s.exitNodeRequired === true ? 'true' : undefined,
    TS_EXIT_NODE_PING_TIMEOUT: integer('tsExitNodePingTimeout', s.exitNodePingTimeoutMs, 'TS_EXIT_NODE_PING_TIMEOUT'),
    TS_EXIT_NODE_PING_RETRIES: integer('tsExitNodePingRetries', s.exitNodePingRetries, 'TS_EXIT_NODE_PING_RETRIES'),
    DEBUG: s.debug ? 'true' : undefined,
    NODE_TLS_REJECT_UNAUTHORIZED: s.nodeTlsRejectUnauthorized === false ? '0' : undefined,

    // The bootstrap's. The invoke mode is always written so that it cannot differ from the URL's.
    TSPROXY_INVOKE_MODE: s.invokeMode,
    TSPROXY_ALLOWED_TARGETS: list('proxy.allowedTargets', s.allowedTargets),
    TSPROXY_PREWARM: list('proxy.prewarmTargets', s.prewarmTargets),
    TSPROXY_PREWARM_CONNECTIONS: integer('proxy.prewarmConnections', s.prewarmConnections, 'TSPROXY_PREWARM_CONNECTIONS'),
    TSPROXY_POOL: flag(s.pool?.enabled),
    TSPROXY_POOL_MAX_IDLE_PER_TARGET: integer('proxy.pool.maxIdlePerTarget', s.pool?.maxIdlePerTarget, 'TSPROXY_POOL_MAX_IDLE_PER_TARGET'),
    TSPROXY_POOL_MAX_IDLE_TOTAL: integer('proxy.pool.maxIdleTotal', s.pool?.maxIdleTotal, 'TSPROXY_POOL_MAX_IDLE_TOTAL'),
    TSPROXY_POOL_IDLE_TIMEOUT_MS: integer('proxy.pool.idleTimeout (ms)', s.pool?.idleTimeoutMs, 'TSPROXY_POOL_IDLE_TIMEOUT_MS'),
    TSPROXY_POOL_MAX_REQUESTS: integer('proxy.pool.maxRequestsPerConnection', s.pool?.maxRequestsPerConnection, 'TSPROXY_POOL_MAX_REQUESTS'),
    TSPROXY_POOL_MAX_AGE_MS: integer('proxy.pool.maxAge (ms)', s.pool?.maxAgeMs, 'TSPROXY_POOL_MAX_AGE_MS'),
    TSPROXY_TLS_VERIFY: flag(s.tlsVerify),
    TSPROXY_TLS_CA_FILE: s.tlsCaFile || undefined,
    TSPROXY_LOG_LEVEL: s.logLevel,
    TSPROXY_METRICS_NAMESPACE: s.metricsNamespace || undefined,
    TSPROXY_METRICS_PHASES: flag(s.metricPhases),
    TSPROXY_CALLER_POLICY: s.callerPolicy,
    TSPROXY_TRACE_CONTEXT: flag(s.traceContext),
    TSPROXY_DIAGNOSE: flag(s.diagnose),
  };
  if (!cdk.Token.isUnresolved(s.hostname) && s.hostname.trim() === '') {
    throw new Error('tsproxy-cdk: tsHostname must not be empty');
  }
  for (const [name, value] of Object.entries(s.extra ?? {})) {
    if (env[name] !== undefined) {
      throw new Error(`tsproxy-cdk: options.lambda.environment sets ${name}, which the construct sets from its own options`);
    }
    env[name] = value;
  }
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
