#!/usr/bin/env node
// Test / bench support (not published): runs s3rver on 127.0.0.1 (port 0) in its own process, so that memory measured
// in the test or bench process is the adapter's, not the server's.
//
//   node s3rver-server.mjs <directory> <bucket,bucket,...>
//
// Prints one JSON line `{"port":<n>}` once listening; stops on SIGTERM / SIGINT or when stdin closes.
//
// In front of s3rver 3.7.1 a middleware adds what it lacks, on top of its own on-disk layout
// (<directory>/<bucket>/._S3rver_uploads/<uploadId>/):
// - ListMultipartUploads (GET /<bucket>?uploads; s3rver answers NotImplemented) and AbortMultipartUpload
//   (DELETE /<bucket>/<key>?uploadId=...; s3rver answers MethodNotAllowed), so tests can check through the S3 API
//   that no incomplete upload is left behind;
// - atomic writes per key: s3rver writes an object straight into its final file (and reports it stored before the
//   file is flushed), so concurrent PutObject / CompleteMultipartUpload calls to one key interleave their bytes, and
//   an aborted PutObject truncates the old object. S3 (and R2) make each write atomic. Here the store writes each
//   object to a temporary file and renames it into place, and the writes to one key run one after the other;
// - a log of every request, served as JSON at GET /__harness/requests (DELETE clears it).
import { randomUUID, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [directory, bucketList = ''] = process.argv.slice(2);
if (!directory) {
  console.error('usage: node s3rver-server.mjs <directory> <bucket,bucket,...>');
  process.exit(2);
}
const S3rver = createRequire(import.meta.url)('s3rver');
const UPLOADS_DIR = '._S3rver_uploads';
const requests = [];
/** key → promise of the write in progress */
const writeLocks = new Map();

function operationOf(method, pathname, query) {
  const isObject = pathname.split('/').filter(Boolean).length > 1;
  if (!isObject) {
    if (method === 'GET' && 'uploads' in query) return 'ListMultipartUploads';
    if (method === 'PUT') return 'CreateBucket';
    return `${method} bucket`;
  }
  if (method === 'POST' && 'uploads' in query) return 'CreateMultipartUpload';
  if (method === 'POST' && 'uploadId' in query) return 'CompleteMultipartUpload';
  if (method === 'PUT' && 'uploadId' in query) return 'UploadPart';
  if (method === 'DELETE' && 'uploadId' in query) return 'AbortMultipartUpload';
  if (method === 'PUT') return 'PutObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return 'DeleteObject';
  return `${method} object`;
}

const xmlEscape = (value) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const uploadDir = (bucket, uploadId) => path.join(directory, bucket, UPLOADS_DIR, ...(uploadId === undefined ? [] : [uploadId]));

async function harness(ctx, next) {
  const url = new URL(ctx.url, 'http://127.0.0.1');
  if (url.pathname === '/__harness/requests') {
    if (ctx.method === 'DELETE') requests.length = 0;
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(requests);
    return;
  }
  const query = Object.fromEntries(url.searchParams);
  const length = ctx.headers['content-length'];
  const operation = operationOf(ctx.method, url.pathname, query);
  requests.push({ method: ctx.method, path: url.pathname, query, contentLength: typeof length === 'string' ? Number(length) : null, operation });
  const [bucket = '', ...keyParts] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const key = keyParts.join('/');

  if (operation === 'ListMultipartUploads') {
    const ids = (await readdir(uploadDir(bucket)).catch(() => [])).sort();
    const uploads = await Promise.all(ids.map(async (id) => ({ id, key: await readFile(path.join(uploadDir(bucket, id), 'key'), 'utf8').catch(() => '') })));
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
      + `<Bucket>${xmlEscape(bucket)}</Bucket><IsTruncated>false</IsTruncated>`
      + uploads.map((u) => `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${xmlEscape(u.id)}</UploadId></Upload>`).join('')
      + '</ListMultipartUploadsResult>';
    return;
  }
  if (operation === 'AbortMultipartUpload') {
    const id = query.uploadId ?? '';
    const stored = /^[0-9a-f]+$/.test(id) ? await readFile(path.join(uploadDir(bucket, id), 'key'), 'utf8').catch(() => null) : null;
    if (stored === null || stored !== key) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified multipart upload does not exist.</Message><UploadId>${xmlEscape(id)}</UploadId></Error>`;
      return;
    }
    await rm(uploadDir(bucket, id), { recursive: true, force: true });
    ctx.status = 204;
    ctx.body = null;
    return;
  }
  if (operation === 'PutObject' || operation === 'CompleteMultipartUpload') {
    const lockKey = `${bucket}/${key}`;
    const previous = writeLocks.get(lockKey) ?? Promise.resolve();
    let release;
    const mine = new Promise((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => mine);
    writeLocks.set(lockKey, chained);
    await previous;
    try {
      await next();
    } finally {
      release();
      if (writeLocks.get(lockKey) === chained) writeLocks.delete(lockKey);
    }
    return;
  }
  await next();
}

const server = new S3rver({
  port: 0,
  address: '127.0.0.1',
  silent: true,
  directory,
  configureBuckets: bucketList.split(',').filter(Boolean).map((name) => ({ name })),
});
server.middleware.unshift(harness);

// FilesystemStore#putObject, rewritten to stream into a temporary file, wait until it is flushed, and rename it
// into place (same result layout: <key>._S3rver_object, .md5 and metadata.json next to it).
server.store.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await mkdir(path.dirname(objectPath), { recursive: true });
  const tmp = `${objectPath}.${randomUUID()}.tmp`;
  const hash = createHash('md5');
  let size = 0;
  const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
  try {
    await pipeline(
      source,
      new Transform({
        transform(chunk, encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      }),
      createWriteStream(tmp),
    );
    await rename(tmp, objectPath);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  const md5 = hash.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, md5);
  return { size, md5 };
};
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.close().catch(() => {});
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
