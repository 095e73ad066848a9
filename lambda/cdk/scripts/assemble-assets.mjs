#!/usr/bin/env node
// Copies the executables the npm package ships into assets/: per architecture the function zip
// (`bootstrap` at its root) and tsproxy's static extension executable, as the lambda-<arch> CMake presets
// build them. Fails, naming every missing file and how to build it, unless all four are there.
//
// usage: node scripts/assemble-assets.mjs [--build-root DIR] [--function-arm64 ZIP] [--function-x86_64 ZIP]
//                                        [--extension-arm64 EXE] [--extension-x86_64 EXE] [--functions-only]
// DIR defaults to the repository's build/ folder (../../build from this package). --functions-only copies
// the function zips alone (for a tree that does not build the extension yet).
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const functionsOnly = process.argv.includes('--functions-only');
const args = process.argv.slice(2).filter((a) => a !== '--functions-only');
const option = (name) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const known = new Set(['build-root', 'function-arm64', 'function-x86_64', 'extension-arm64', 'extension-x86_64']);
for (let i = 0; i < args.length; i += 2) {
  if (!args[i].startsWith('--') || !known.has(args[i].slice(2)) || args[i + 1] === undefined) {
    console.error(`assemble-assets: bad argument '${args[i]}'`);
    process.exit(2);
  }
}
const buildRoot = path.resolve(option('build-root') ?? path.join(pkg, '..', '..', 'build'));

const wanted = [];
for (const arch of ['arm64', 'x86_64']) {
  const dist = path.join(buildRoot, `lambda-${arch}`, 'dist');
  wanted.push({
    from: path.resolve(option(`function-${arch}`) ?? path.join(dist, `tsproxy-function-${arch}.zip`)),
    to: `tsproxy-function-${arch}.zip`,
    mode: 0o644,
    how: `cmake --preset lambda-${arch} && cmake --build --preset lambda-${arch}`,
  });
  if (functionsOnly) continue;
  wanted.push({
    from: path.resolve(option(`extension-${arch}`) ?? path.join(dist, `tsproxy-tailscale-${arch}`)),
    to: `tsproxy-tailscale-${arch}`,
    mode: 0o755,
    how: `cmake --preset lambda-${arch} && cmake --build --preset lambda-${arch}`,
  });
}

const missing = wanted.filter((w) => !fs.existsSync(w.from) || !fs.statSync(w.from).isFile());
if (missing.length > 0) {
  for (const m of missing) console.error(`assemble-assets: missing ${m.from} (build it with: ${m.how})`);
  process.exit(1);
}
const out = path.join(pkg, 'assets');
fs.mkdirSync(out, { recursive: true });
for (const w of wanted) {
  const dest = path.join(out, w.to);
  fs.copyFileSync(w.from, dest);
  fs.chmodSync(dest, w.mode);
  console.log(`assemble-assets: ${w.from} -> assets/${w.to} (${fs.statSync(dest).size} bytes)`);
}
// The licence is written once, at the repository's root; npm ships the package folder's LICENSE.
fs.copyFileSync(path.join(pkg, '..', '..', 'LICENSE'), path.join(pkg, 'LICENSE'));
console.log('assemble-assets: LICENSE (Apache-2.0) from the repository root');
