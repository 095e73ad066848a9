// The example app's templates pass cfn-lint. W3005 (a DependsOn that a GetAtt already implies) is how
// every CDK function with a role is written and is the only check left out.
import * as assert from 'assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { PACKAGE_DIR, fixtureEnv, makeFixture, tempDir } from './support';

test('cfn-lint passes on every template of example/app', () => {
  const out = tempDir('cdk-out');
  const fixture = makeFixture('cfn-lint');
  execFileSync(process.execPath, [path.join(PACKAGE_DIR, 'example', 'app.js')], {
    env: { ...process.env, ...fixtureEnv(fixture), CDK_OUTDIR: out },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const templates = fs.readdirSync(out).filter((f) => f.endsWith('.template.json')).map((f) => path.join(out, f));
  assert.deepEqual(templates.map((t) => path.basename(t)).sort(), [
    'TsproxyDefault.template.json',
    'TsproxyManagedInstances.template.json',
    'TsproxyOwnSecret.template.json',
    'TsproxyStreamingX86.template.json',
  ]);
  const lint = spawnSync('cfn-lint', ['--ignore-checks', 'W3005', '--', ...templates], { encoding: 'utf8' });
  assert.equal(lint.error, undefined, `cfn-lint could not run: ${lint.error}`);
  assert.equal(lint.status, 0, `cfn-lint found problems:\n${lint.stdout}${lint.stderr}`);
  const managed = fs.readFileSync(path.join(out, 'TsproxyManagedInstances.template.json'), 'utf8');
  assert.match(managed, /"PerExecutionEnvironmentMaxConcurrency": 64/);
});
