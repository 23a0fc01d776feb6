// `pnpm bench storage --adapter s3|fs [--mib 256] [--runs 2] [--part-mib 8] [--queue 4]`
//
// Puts and gets one large object (256 MiB by default) through a blob storage adapter, and does the same with the
// plain tool underneath it in the same run, as the baseline:
//   - s3: createS3Storage → s3rver on loopback, against the raw `@aws-sdk/lib-storage` Upload (same part size and
//     queue size) and a raw GetObject whose body is read as a Node stream;
//   - fs: createFsStorage (fsync on, its default), against `stream.pipeline` into `fs.createWriteStream` + fsync and
//     a plain `fs.createReadStream`.
// The object is a generated stream (fresh 1 MiB chunks, never materialised). Every transfer runs in its own child
// process, so its peak RSS (`process.resourceUsage().maxRSS`) is its own; for s3, s3rver runs in yet another process.
// After the runs the stored bytes are checked against the generated ones (sha256).
// Targets: adapter throughput ≥ 0.8× the baseline for put and for get; adapter peak RSS < 200 MB.
//
// s3rver itself is slow (it writes each part to disk, then copies them into the object); the ratio is what counts.
// Workspace packages are imported by relative path: the repository root has no node_modules link to them.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0 && args[i + 1] !== undefined) return args[i + 1]!;
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
};

const MIB = 1024 * 1024;
const CHUNK = MIB;
const THROUGHPUT_TARGET = 0.8;
const RSS_TARGET_MB = 200;
const BUCKET = 'bench';
// s3 only: multipart part size and parallel parts, the same for the adapter and the baseline Upload (default: the
// adapter's defaults).
const PART_SIZE = Number(arg('part-mib', '8')) * MIB;
const QUEUE_SIZE = Number(arg('queue', '4'));

type Adapter = 's3' | 'fs';
type Kind = 'baseline' | 'adapter';
type Op = 'put' | 'get';

interface ChildResult {
  bytes: number;
  ms: number;
  /** Peak resident set size of the child process (MB). */
  maxRssMB: number;
  /** RSS before the transfer started (runtime, tsx, modules loaded), for reading the peak. */
  startRssMB: number;
}

interface Target {
  /** s3: the s3rver endpoint; fs: the directory. */
  location: string;
  size: number;
}

// ---------------------------------------------------------------------------------------------------------------
// The generated object: 1 MiB chunks of a fixed random-looking template with the chunk index stamped in, so every
// chunk is a fresh buffer and the whole is reproducible for the checksum.
// ---------------------------------------------------------------------------------------------------------------

function template(): Uint8Array {
  const out = new Uint8Array(CHUNK);
  let x = 0x9e3779b9;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function chunkAt(base: Uint8Array, index: number, length: number): Uint8Array {
  const chunk = base.slice(0, length);
  new DataView(chunk.buffer).setUint32(0, index);
  return chunk;
}

function generated(size: number): ReadableStream<Uint8Array> {
  const base = template();
  let index = 0;
  let produced = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (produced >= size) {
        controller.close();
        return;
      }
      const length = Math.min(CHUNK, size - produced);
      controller.enqueue(chunkAt(base, index++, length));
      produced += length;
    },
  }, { highWaterMark: 0 });
}

async function expectedHash(size: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of generated(size) as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (c) => hash.update(c)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
  });
}

async function drain(stream: AsyncIterable<Uint8Array | string>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  return bytes;
}

// ---------------------------------------------------------------------------------------------------------------
// Child process: one transfer.
// ---------------------------------------------------------------------------------------------------------------

async function child(adapter: Adapter, kind: Kind, op: Op, target: Target): Promise<void> {
  const key = `bench/${kind}.bin`;
  let run: () => Promise<number>;
  // Load modules and build clients before the clock starts: only the transfer is timed.
  if (adapter === 's3') {
    const { loadClientS3, loadLibStorage } = await import('../packages/storage-adapters/src/s3/sdk.ts');
    const { createS3Storage } = await import('../packages/storage-adapters/src/s3/index.ts');
    const sdk = await loadClientS3();
    const { Upload } = await loadLibStorage();
    const clientConfig = {
      endpoint: target.location, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    } as const;
    if (kind === 'adapter') {
      const storage = createS3Storage({ bucket: BUCKET, clientConfig, partSizeBytes: PART_SIZE, queueSize: QUEUE_SIZE });
      await storage.client();
      run = op === 'put'
        ? async () => (await storage.put(key, generated(target.size), { contentType: 'video/mp4' })).bytes
        : async () => drain((await storage.get(key))!.body as unknown as AsyncIterable<Uint8Array>);
    } else {
      const client = new sdk.S3Client(clientConfig);
      run = op === 'put'
        ? async () => {
            await new Upload({ client, params: { Bucket: BUCKET, Key: key, Body: generated(target.size), ContentType: 'video/mp4' }, partSize: PART_SIZE, queueSize: QUEUE_SIZE }).done();
            return target.size;
          }
        : async () => drain((await client.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body as unknown as AsyncIterable<Uint8Array>);
    }
  } else {
    const { createFsStorage } = await import('../packages/storage-adapters/src/fs/index.ts');
    if (kind === 'adapter') {
      const storage = createFsStorage({ root: join(target.location, 'storage') });
      run = op === 'put'
        ? async () => (await storage.put(key, generated(target.size), { contentType: 'video/mp4' })).bytes
        : async () => drain((await storage.get(key))!.body as unknown as AsyncIterable<Uint8Array>);
    } else {
      const file = join(target.location, 'baseline.bin');
      run = op === 'put'
        ? async () => {
            await pipeline(Readable.fromWeb(generated(target.size) as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(file));
            const handle = await open(file, 'r+');
            await handle.datasync();
            await handle.close();
            return (await stat(file)).size;
          }
        : async () => drain(createReadStream(file, { highWaterMark: 64 * 1024 }));
    }
  }
  const startRssMB = process.memoryUsage().rss / MIB;
  const started = performance.now();
  const bytes = await run();
  const ms = performance.now() - started;
  const result: ChildResult = { bytes, ms, maxRssMB: process.resourceUsage().maxRSS / 1024, startRssMB };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: server, runs, report.
// ---------------------------------------------------------------------------------------------------------------

function runChild(adapter: Adapter, kind: Kind, op: Op, target: Target): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [
      ...process.execArgv, fileURLToPath(import.meta.url), '--child', `${adapter}:${kind}:${op}`, '--location', target.location, '--size', String(target.size),
      '--part-mib', String(PART_SIZE / MIB), '--queue', String(QUEUE_SIZE),
    ], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${adapter} ${kind} ${op} child exited with ${code}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult);
      } catch (error) {
        reject(error);
      }
    });
  });
}

async function main(): Promise<void> {
  const adapter = arg('adapter', 's3');
  if (adapter !== 's3' && adapter !== 'fs') throw new Error(`--adapter must be s3 or fs, not ${adapter}`);
  const mib = Number(arg('mib', '256'));
  const runs = Number(arg('runs', '2'));
  const size = mib * MIB;

  let location: string;
  let storedFile: (kind: Kind) => string;
  let close = async (): Promise<void> => {};
  if (adapter === 's3') {
    const { startS3rver } = await import('../packages/storage-adapters/src/s3/testing/s3rver-harness.ts');
    const started = await startS3rver([BUCKET]);
    if (!started.harness) throw new Error(`s3rver could not start: ${started.reason}`);
    const harness = started.harness;
    location = harness.endpoint;
    storedFile = (kind) => harness.objectFile(BUCKET, `bench/${kind}.bin`);
    close = () => harness.close();
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'vg-bench-fs-'));
    await mkdir(join(dir, 'storage'), { recursive: true });
    location = dir;
    storedFile = (kind) => (kind === 'adapter' ? join(dir, 'storage', 'bench', 'adapter.bin') : join(dir, 'baseline.bin'));
    close = () => rm(dir, { recursive: true, force: true });
  }

  const results: Record<`${Kind}:${Op}`, ChildResult[]> = { 'baseline:put': [], 'adapter:put': [], 'baseline:get': [], 'adapter:get': [] };
  const labels: Record<`${Kind}:${Op}`, string> = adapter === 's3'
    ? { 'baseline:put': 'raw lib-storage Upload', 'adapter:put': 'createS3Storage().put', 'baseline:get': 'raw GetObject, body read as a Node stream', 'adapter:get': 'createS3Storage().get' }
    : { 'baseline:put': 'pipeline → createWriteStream + fsync', 'adapter:put': 'createFsStorage().put', 'baseline:get': 'createReadStream', 'adapter:get': 'createFsStorage().get' };
  try {
    for (let run = 1; run <= runs; run++) {
      for (const op of ['put', 'get'] as const) {
        // Alternate who goes first, and flush dirty pages before each transfer, so neither side pays for the
        // other's write-back (with a fixed order the second writer always ran behind 256 MiB of dirty pages).
        const order = run % 2 === 1 ? (['baseline', 'adapter'] as const) : (['adapter', 'baseline'] as const);
        for (const kind of order) {
          spawnSync('sync');
          const result = await runChild(adapter, kind, op, { location, size });
          if (result.bytes !== size) throw new Error(`${kind} ${op} moved ${result.bytes} bytes, expected ${size}`);
          results[`${kind}:${op}`].push(result);
          console.log(`run ${run} ${op} ${kind.padEnd(8)} ${(size / MIB / (result.ms / 1000)).toFixed(1).padStart(7)} MB/s  ${(result.ms / 1000).toFixed(2)} s  peak RSS ${result.maxRssMB.toFixed(0)} MB (${result.startRssMB.toFixed(0)} MB before the transfer)`);
        }
      }
    }
    const expected = await expectedHash(size);
    for (const kind of ['baseline', 'adapter'] as const) {
      const stored = await sha256File(storedFile(kind));
      if (stored !== expected) throw new Error(`${kind}: the stored object differs from the generated bytes (sha256 ${stored} ≠ ${expected})`);
    }
  } finally {
    await close();
  }

  // Best of the runs for throughput (least disturbed by the shared machine), worst for memory.
  const mbps = (kind: Kind, op: Op): number => size / MIB / (Math.min(...results[`${kind}:${op}`].map((r) => r.ms)) / 1000);
  const peak = (kind: Kind, op: Op): number => Math.max(...results[`${kind}:${op}`].map((r) => r.maxRssMB));
  let pass = true;
  console.log('');
  console.log(`storage bench (${adapter}): ${mib} MiB generated object, ${runs} run(s) each, every transfer in its own process, sha256 verified${adapter === 's3' ? `, parts of ${PART_SIZE / MIB} MiB × ${QUEUE_SIZE} in parallel` : ''}`);
  for (const op of ['put', 'get'] as const) {
    const ratio = mbps('adapter', op) / mbps('baseline', op);
    const rss = peak('adapter', op);
    const ok = ratio >= THROUGHPUT_TARGET && rss < RSS_TARGET_MB;
    pass &&= ok;
    console.log(`  ${op}: baseline (${labels[`baseline:${op}`]}) ${mbps('baseline', op).toFixed(1)} MB/s, peak RSS ${peak('baseline', op).toFixed(0)} MB`);
    console.log(`  ${op}: adapter  (${labels[`adapter:${op}`]}) ${mbps('adapter', op).toFixed(1)} MB/s, peak RSS ${rss.toFixed(0)} MB`);
    console.log(`  ${op}: throughput ratio adapter/baseline ${ratio.toFixed(2)}× (target ≥ ${THROUGHPUT_TARGET}×) ${ratio >= THROUGHPUT_TARGET ? 'PASS' : 'FAIL'}; adapter peak RSS ${rss.toFixed(0)} MB (target < ${RSS_TARGET_MB} MB) ${rss < RSS_TARGET_MB ? 'PASS' : 'FAIL'}`);
  }
  console.log(`  ${pass ? 'PASS' : 'FAIL'}`);
  if (!pass) process.exitCode = 1;
}

if (args[0] === '--child') {
  const [adapter, kind, op] = arg('child', '').split(':') as [Adapter, Kind, Op];
  await child(adapter, kind, op, { location: arg('location', ''), size: Number(arg('size', '0')) });
} else {
  await main();
}

