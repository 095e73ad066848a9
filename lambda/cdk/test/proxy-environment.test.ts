import * as assert from 'assert/strict';
import { test } from 'node:test';
import { proxyEnvironment } from '../lib/proxy-environment';

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
