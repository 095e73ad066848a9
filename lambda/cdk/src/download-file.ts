// usage: node download-file.js URL OUT TIMEOUT_MS
// Downloads URL (http or https, following up to MAX_REDIRECTS redirects) to OUT within TIMEOUT_MS.
// Run as a child process by tailscale-tarball.ts, because CDK's local bundling cannot wait for I/O.
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';

const MAX_REDIRECTS = 5;
const MAX_BYTES = 256 * 1024 * 1024;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function get(url: string, out: string, redirectsLeft: number, deadline: number): void {
  const parsed = new URL(url);
  const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
  if (!client) fail(`unsupported URL scheme in ${url}`);
  const request = client.get(parsed, { timeout: Math.max(1, deadline - Date.now()) }, (response) => {
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      if (redirectsLeft === 0) fail(`too many redirects from ${url}`);
      get(new URL(response.headers.location, parsed).toString(), out, redirectsLeft - 1, deadline);
      return;
    }
    if (status !== 200) {
      response.resume();
      fail(`HTTP ${status} from ${url}`);
    }
    let received = 0;
    const file = fs.createWriteStream(out);
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_BYTES) fail(`${url} is larger than ${MAX_BYTES} bytes`);
    });
    response.on('error', (e) => fail(`reading ${url}: ${e.message}`));
    file.on('error', (e) => fail(`writing ${out}: ${e.message}`));
    response.pipe(file);
    file.on('finish', () => file.close(() => process.exit(0)));
  });
  request.on('timeout', () => request.destroy(new Error(`no answer within the deadline`)));
  request.on('error', (e) => fail(e.message));
}

if (require.main === module) {
  const [url, out, timeout] = process.argv.slice(2);
  if (!url || !out) fail('usage: download-file URL OUT [TIMEOUT_MS]');
  const timeoutMs = Number(timeout ?? 120000);
  const deadline = Date.now() + timeoutMs;
  setTimeout(() => fail(`download did not finish within ${timeoutMs} ms`), timeoutMs).unref();
  get(url, out, MAX_REDIRECTS, deadline);
}
