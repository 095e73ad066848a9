import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { PACKAGE_DIR } from './support';

const source = path.join(PACKAGE_DIR, 'warmer', 'index.js');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const warmer = require(source) as { makeHandler: (invoke: (fn: string, payload: string) => Promise<unknown>) => (event: unknown) => Promise<unknown> };

test('fits into an inline function (CloudFormation ZipFile, 4096 bytes)', () => {
  assert.ok(fs.statSync(source).size <= 4096);
});

test('sends N warmer payloads at once to the target named in the event', async () => {
  const calls: { fn: string; payload: any }[] = [];
  let inFlight = 0;
  let most = 0;
  const handler = warmer.makeHandler(async (fn, payload) => {
    calls.push({ fn, payload: JSON.parse(payload) });
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
  });
  assert.deepEqual(await handler({ targetFunctionName: 'proxy', concurrentInvocations: 4 }), { warmed: 4 });
  assert.equal(calls.length, 4);
  assert.equal(most, 4, 'all invocations are in flight together');
  assert.deepEqual(calls.map((c) => [c.fn, c.payload.warmer, c.payload.warmerIndex]), [
    ['proxy', true, 0],
    ['proxy', true, 1],
    ['proxy', true, 2],
    ['proxy', true, 3],
  ]);
  assert.match(calls[0].payload.warmerTimestamp, /^\d{4}-\d\d-\d\dT/);
});

test('falls back to its environment, and fails when an invocation fails', async () => {
  process.env.TARGET_FUNCTION_NAME = 'from-env';
  process.env.CONCURRENT_INVOCATIONS = '2';
  try {
    const seen: string[] = [];
    await warmer.makeHandler(async (fn) => void seen.push(fn))({});
    assert.deepEqual(seen, ['from-env', 'from-env']);
    let n = 0;
    const failing = warmer.makeHandler(async () => {
      if (n++ === 1) throw new Error('Unhandled');
    });
    await assert.rejects(failing({}), /1 of 2 warmer invocations failed/);
  } finally {
    delete process.env.TARGET_FUNCTION_NAME;
    delete process.env.CONCURRENT_INVOCATIONS;
  }
  await assert.rejects(warmer.makeHandler(async () => undefined)({ concurrentInvocations: 2 }), /bad warmer event/);
});
