/**
 * The anchor child of `relay_blob_upload_rss` (relay-rss.bench.ts): a bare node:http server that
 * pipes each request body into a fresh file under `dir` and answers 201 `{ size }`: the least a
 * server must do to accept a streamed upload, no framework, no auth, no database. Started the
 * same way as the relay child (`node --import tsx`), so both carry the same loader overhead.
 * Prints `listening on http://127.0.0.1:<port>` on stdout once bound.
 *
 * Usage: node --import tsx bench/_relay-rss-anchor.ts <dir>
 * @module
 */
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2];
if (!dir) throw new Error('usage: _relay-rss-anchor.ts <dir>');
let n = 0;
const server = createServer((req, res) => {
  const file = join(dir, `upload-${n++}`);
  let size = 0;
  req.on('data', (chunk: Buffer) => (size += chunk.length));
  pipeline(req, createWriteStream(file)).then(
    () => {
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ size }));
    },
    () => res.writeHead(500).end(),
  );
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
