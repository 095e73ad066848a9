#!/usr/bin/env node
// Copies the repository's toolchain/tailscale-pins into the package, where src/tailscale-release.ts reads
// it: the pinned Tailscale versions and hashes are written once, for the toolchain and the construct alike.
// usage: node scripts/copy-tailscale-pins.mjs
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(pkg, '..', '..', 'toolchain', 'tailscale-pins');
if (!fs.existsSync(source)) {
  console.error(`copy-tailscale-pins: ${source} does not exist (the package is built inside the tsproxy repository)`);
  process.exit(1);
}
fs.copyFileSync(source, path.join(pkg, 'tailscale-pins'));
