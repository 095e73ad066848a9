// tsproxy's warmer: invokes the proxy N times at once so that about N execution environments stay
// warm. tsproxy answers {"warmer": true} with {"success": true} and reopens its prewarmed connections.
// Inlined into the template (4 KiB at most), so it stays short and needs only the runtime's SDK.
'use strict';

function log(...args) {
  if (process.env.DEBUG) console.log('[tsproxy-warmer]', ...args);
}

function makeHandler(invoke) {
  return async (event) => {
    const target = (event && event.targetFunctionName) || process.env.TARGET_FUNCTION_NAME;
    const count = Number((event && event.concurrentInvocations) || process.env.CONCURRENT_INVOCATIONS || 3);
    if (!target || !Number.isInteger(count) || count < 1) throw new Error(`bad warmer event ${JSON.stringify(event)}`);
    log(`invoking ${target} ${count} times`);
    const results = await Promise.allSettled(
      Array.from({ length: count }, (_, i) =>
        invoke(target, JSON.stringify({ warmer: true, warmerIndex: i, warmerTimestamp: new Date().toISOString() })),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    for (const f of failed) console.error('[tsproxy-warmer] invocation failed:', f.reason);
    if (failed.length) throw new Error(`${failed.length} of ${count} warmer invocations failed`);
    log(`${count} invocations done`);
    return { warmed: count };
  };
}

let client;
async function lambdaInvoke(functionName, payload) {
  const sdk = require('@aws-sdk/client-lambda');
  client = client || new sdk.LambdaClient({});
  const r = await client.send(new sdk.InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: payload }));
  if (r.FunctionError) throw new Error(`${r.FunctionError}: ${Buffer.from(r.Payload || []).toString()}`);
  return r;
}

exports.makeHandler = makeHandler;
exports.handler = makeHandler(lambdaInvoke);
