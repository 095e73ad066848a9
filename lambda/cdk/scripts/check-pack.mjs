#!/usr/bin/env node
// Checks what `npm pack` of the package would publish: both function zips, both extension executables,
// the compiled library and client, the warmer, the Tailscale pins, the configuration contract the
// construct validates with, the jsii assembly, the bundled aws4 — and nothing else
// (no sources, tests, Python client, build output or other dependencies).
// usage: node scripts/check-pack.mjs [--functions-only] [PACKAGE_DIR]   exit 0: as expected; 1: lists what is wrong
// --functions-only: the extension executables are not required (a tree that does not build them yet).
import { execFileSync } from 'child_process';
import * as path from 'path';
import { fileURLToPath } from 'url';

const functionsOnly = process.argv.includes('--functions-only');
const positional = process.argv.slice(2).filter((a) => a !== '--functions-only');
const dir = path.resolve(positional[0] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
const files = pack.files.map((f) => f.path).sort();

const required = [
  'assets/tsproxy-function-arm64.zip',
  'assets/tsproxy-function-x86_64.zip',
  'assets/tsproxy-tailscale-arm64',
  'assets/tsproxy-tailscale-x86_64',
  'lib/index.js',
  'lib/index.d.ts',
  'lib/client/index.js',
  'lib/client/index.d.ts',
  'lib/download-file.js',
  'warmer/index.js',
  'tailscale-pins',
  '.jsii',
  'config-contract.json',
  'package.json',
  'README.md',
  'LICENSE',
  'node_modules/aws4/aws4.js',
];
const allowed = [
  /^assets\/tsproxy-(function-(arm64|x86_64)\.zip|tailscale-(arm64|x86_64))$/,
  /^lib\/([a-z0-9-]+\/)*[a-z0-9-]+(\.js|\.d\.ts)$/,
  /^warmer\/index\.js$/,
  /^tailscale-pins$/,
  /^\.jsii$/,
  /^config-contract\.json$/,
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^node_modules\/aws4\/(?!node_modules\/)[^/]+$/,
];
const problems = [];
for (const f of required.filter((r) => !(functionsOnly && r.startsWith('assets/tsproxy-tailscale-')))) if (!files.includes(f)) problems.push(`missing: ${f}`);
for (const f of files) if (!allowed.some((re) => re.test(f))) problems.push(`not wanted: ${f}`);
if (JSON.stringify(pack.bundled) !== JSON.stringify(['aws4'])) problems.push(`bundled dependencies: ${JSON.stringify(pack.bundled)}, expected ["aws4"]`);
if (problems.length) {
  for (const p of problems) console.error(`check-pack: ${p}`);
  process.exit(1);
}
console.log(`check-pack: ${pack.filename}: ${files.length} files, ${pack.size} bytes packed, as expected`);
