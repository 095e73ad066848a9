// A loopback HTTP server in its own process (the construct's download blocks the test's event loop):
// serves FILE at /<name>, redirects /redirect/<name> there, counts requests, answers GET /hits with
// the count, and prints its port on stdout once listening.
import * as fs from 'fs';
import * as http from 'http';

const [file, name] = process.argv.slice(2);
let hits = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/hits') {
    res.end(String(hits));
    return;
  }
  hits++;
  if (req.url === `/redirect/${name}`) {
    res.writeHead(302, { location: `/${name}` });
    res.end();
  } else if (req.url === `/${name}`) {
    res.end(fs.readFileSync(file));
  } else {
    res.writeHead(404);
    res.end('not found');
  }
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
