// The Node.js construct's README stack, with only the import changed, synthesizes to the template in
// __snapshots__/seed-readme-stack.json (UPDATE_SNAPSHOTS=1 rewrites it after a deliberate change).
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MyStack } from './seed-readme/my-stack';
import { fixtureEnv, inCallerProject, makeFixture, withEnv } from './support';

const SNAPSHOT = path.join(__dirname, '__snapshots__', 'seed-readme-stack.json');

function synth(): unknown {
  const fixture = makeFixture('seed');
  return inCallerProject('tailscale-caller', () =>
    withEnv(fixtureEnv(fixture), () => {
      // No stack is bundled: the caller's code is not what this test is about, and esbuild is not needed.
      const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const template = Template.fromStack(new MyStack(app, 'MyStack')).toJSON();
      // With bundling skipped the caller's asset hash is not stable from run to run; the proxy's are.
      template.Resources.tailscalecaller031BBF84.Properties.Code.S3Key = '<the caller bundle>.zip';
      return template;
    }),
  );
}

let first: unknown;

test('the README stack of the Node.js construct synthesizes to the snapshot', () => {
  const template = (first = synth());
  if (process.env.UPDATE_SNAPSHOTS === '1') fs.writeFileSync(SNAPSHOT, `${JSON.stringify(template, null, 2)}\n`);
  assert.deepEqual(template, JSON.parse(fs.readFileSync(SNAPSHOT, 'utf8')));
});

test('and again, from new stand-ins in new folders, to the same template', () => {
  assert.deepEqual(synth(), first);
});
