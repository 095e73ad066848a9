import * as assert from 'assert/strict';
import { test } from 'node:test';
import * as fs from 'fs';
import * as path from 'path';
import { proxyEnvironment } from '../lib/proxy-environment';

// The committed contract, as the bootstrap and the extension enforce it (ConfigContractIsFresh keeps it so).
const contract = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'config-contract.json'), 'utf8')).variables;

const base = { secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:k', hostname: 'h', invokeMode: 'buffered' as const };

test('only what is set, names sorted', () => {
  assert.deepEqual(Object.entries(proxyEnvironment(base)), [
    ['TSPROXY_INVOKE_MODE', 'buffered'],
    ['TS_HOSTNAME', 'h'],
    ['TS_SECRET_API_KEY', base.secretArn],
  ]);
});

test('the Node.js construct\'s mapping: DEBUG, NODE_TLS_REJECT_UNAUTHORIZED=0 only for false, TS_EXIT_NODE_REQUIRED only for true', () => {
  const on = proxyEnvironment({ ...base, debug: true, nodeTlsRejectUnauthorized: false, exitNodeRequired: true });
  assert.equal(on.DEBUG, 'true');
  assert.equal(on.NODE_TLS_REJECT_UNAUTHORIZED, '0');
  assert.equal(on.TS_EXIT_NODE_REQUIRED, 'true');
  const off = proxyEnvironment({ ...base, debug: false, nodeTlsRejectUnauthorized: true, exitNodeRequired: false });
  assert.equal(off.DEBUG, undefined);
  assert.equal(off.NODE_TLS_REJECT_UNAUTHORIZED, undefined);
  assert.equal(off.TS_EXIT_NODE_REQUIRED, undefined);
});

test('booleans are written either way once given; pool off is TSPROXY_POOL=false', () => {
  const e = proxyEnvironment({ ...base, tlsVerify: true, pool: { enabled: false } });
  assert.equal(e.TSPROXY_TLS_VERIFY, 'true');
  assert.equal(e.TSPROXY_POOL, 'false');
});

test('the bootstrap\'s ranges are checked at synth', () => {
  const cases: [object, RegExp][] = [
    [{ pool: { maxIdlePerTarget: 10001 } }, /maxIdlePerTarget must be a whole number from 0 to 10000/],
    [{ pool: { maxIdleTotal: -1 } }, /maxIdleTotal/],
    [{ pool: { idleTimeoutMs: 0 } }, /idleTimeout \(ms\) must be a whole number from 1/],
    [{ pool: { maxAgeMs: 86_400_001 } }, /maxAge \(ms\)/],
    [{ pool: { maxRequestsPerConnection: 0.5 } }, /maxRequestsPerConnection/],
    [{ prewarmConnections: 0 }, /prewarmConnections/],
    [{ exitNodePingRetries: 0 }, /tsExitNodePingRetries/],
    [{ prewarmTargets: [''] }, /prewarmTargets entry '' is empty/],
  ];
  for (const [extra, message] of cases) assert.throws(() => proxyEnvironment({ ...base, ...extra }), message);
  assert.equal(proxyEnvironment({ ...base, pool: { maxIdlePerTarget: 0 } }).TSPROXY_POOL_MAX_IDLE_PER_TARGET, '0');
});

test('extra variables are added, but may not repeat one the options set', () => {
  assert.equal(proxyEnvironment({ ...base, extra: { TSPROXY_SOCKS5_PIPELINE: 'true' } }).TSPROXY_SOCKS5_PIPELINE, 'true');
  assert.throws(() => proxyEnvironment({ ...base, extra: { TS_HOSTNAME: 'x' } }), /sets TS_HOSTNAME/);
});

// Each numeric option and the variable it sets: the construct's bounds are the contract's, so a value the
// program would refuse at init is refused at synth, and the program's largest value is accepted.
const numericOptions: [string, (n: number) => object][] = [
  ['TS_EXIT_NODE_PING_TIMEOUT', (n) => ({ exitNodePingTimeoutMs: n })],
  ['TS_EXIT_NODE_PING_RETRIES', (n) => ({ exitNodePingRetries: n })],
  ['TSPROXY_PREWARM_CONNECTIONS', (n) => ({ prewarmConnections: n })],
  ['TSPROXY_POOL_MAX_IDLE_PER_TARGET', (n) => ({ pool: { maxIdlePerTarget: n } })],
  ['TSPROXY_POOL_MAX_IDLE_TOTAL', (n) => ({ pool: { maxIdleTotal: n } })],
  ['TSPROXY_POOL_IDLE_TIMEOUT_MS', (n) => ({ pool: { idleTimeoutMs: n } })],
  ['TSPROXY_POOL_MAX_REQUESTS', (n) => ({ pool: { maxRequestsPerConnection: n } })],
  ['TSPROXY_POOL_MAX_AGE_MS', (n) => ({ pool: { maxAgeMs: n } })],
];

test('every numeric option is bounded by the contract the programs read: max accepted, max + 1 and min - 1 refused', () => {
  for (const [variable, option] of numericOptions) {
    const { min, max } = contract[variable];
    assert.equal(typeof max, 'number', variable);
    assert.equal(proxyEnvironment({ ...base, ...option(max) })[variable], String(max), variable);
    assert.equal(proxyEnvironment({ ...base, ...option(min) })[variable], String(min), variable);
    assert.throws(() => proxyEnvironment({ ...base, ...option(max + 1) }), new RegExp(`from ${min} to ${max}, got ${max + 1}`), variable);
    assert.throws(() => proxyEnvironment({ ...base, ...option(min - 1) }), /must be a whole number/, variable);
  }
});

test('the exit-node ping bounds are the extension\'s: 60,001 ms and 101 retries fail the synth', () => {
  assert.equal(contract.TS_EXIT_NODE_PING_TIMEOUT.max, 60_000);
  assert.equal(contract.TS_EXIT_NODE_PING_RETRIES.max, 100);
  assert.deepEqual(contract.TS_EXIT_NODE_PING_TIMEOUT.readBy, ['extension']);
  assert.throws(() => proxyEnvironment({ ...base, exitNodePingTimeoutMs: 60_001 }), /tsExitNodePingTimeout must be a whole number from 1 to 60000/);
  assert.throws(() => proxyEnvironment({ ...base, exitNodePingRetries: 101 }), /tsExitNodePingRetries must be a whole number from 1 to 100/);
  assert.equal(proxyEnvironment({ ...base, exitNodePingTimeoutMs: 60_000, exitNodePingRetries: 100 }).TS_EXIT_NODE_PING_RETRIES, '100');
});

test('every variable the construct writes is one the contract declares', () => {
  const all = proxyEnvironment({
    ...base, advertiseTags: 'tag:a', exitNode: 'x', exitNodeRequired: true, exitNodePingTimeoutMs: 5, exitNodePingRetries: 5, debug: true,
    nodeTlsRejectUnauthorized: false, allowedTargets: ['a:1'], prewarmTargets: ['a:1'], prewarmConnections: 1,
    pool: { enabled: true, maxIdlePerTarget: 1, maxIdleTotal: 1, idleTimeoutMs: 1, maxRequestsPerConnection: 1, maxAgeMs: 1 },
    tlsVerify: true, tlsCaFile: '/ca', logLevel: 'info', metricsNamespace: 'n',
  });
  for (const name of Object.keys(all)) assert.ok(contract[name], `${name} is not in config-contract.json`);
});
