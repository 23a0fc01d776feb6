// `pnpm bench rehost [--runs N] [--mib N]`
//
// Re-hosts a 512 MiB file served by a loopback node:http server into filesystem storage through
// `rehost` + `createNodeDownloader`, and compares it with a plain baseline measured in the same run:
// `fetch` → `stream.pipeline` → `fs.createWriteStream` (+ fsync, since the fs storage fsyncs by default).
// Each transfer runs in its own child process so its peak RSS (`process.resourceUsage().maxRSS`) is its own.
// Targets: rehost throughput ≥ 0.8× the baseline, rehost peak RSS < 200 MB.
//
// Workspace packages resolve to their sources through the `@video-gallery/source` condition (bench/run.mjs).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tmp = join(here, '.tmp');
const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};

const MIB = 1024 * 1024;
const THROUGHPUT_TARGET = 0.8;
const RSS_TARGET_MB = 200;

interface ChildResult {
  bytes: number;
  ms: number;
  /** Peak resident set size of the child process (MB). */
  maxRssMB: number;
  /** RSS just before the transfer started (runtime + tsx + modules), for reading the peak. */
  startRssMB: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Child process: one transfer.
// ---------------------------------------------------------------------------------------------------------------

async function child(kind: string, url: string, outDir: string): Promise<void> {
  // Load the modules before the clock starts: only the transfer is timed.
  const { rehost } = await import('@video-gallery/core');
  const { createNodeDownloader } = await import('@video-gallery/core/node');
  const { createFsStorage } = await import('@video-gallery/storage-adapters/fs');
  const startRssMB = process.memoryUsage().rss / MIB;
  const started = performance.now();
  let bytes = 0;
  if (kind === 'baseline') {
    const out = join(outDir, 'baseline.bin');
    const response = await fetch(url);
    if (!response.ok || !response.body) throw new Error(`baseline: status ${response.status}`);
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(out));
    const handle = await open(out, 'r+');
    await handle.sync();
    await handle.close();
    bytes = statSync(out).size;
  } else {
    const storage = createFsStorage({ root: join(outDir, 'fs-storage') });
    const result = await rehost({
      output: { url },
      storage,
      key: 'videos/bench.mp4',
      downloader: createNodeDownloader({ allowPrivateNetwork: true, allowHttp: true }),
    });
    bytes = result.bytes;
  }
  const ms = performance.now() - started;
  const result: ChildResult = { bytes, ms, maxRssMB: process.resourceUsage().maxRSS / 1024, startRssMB };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: source file, server, runs, report.
// ---------------------------------------------------------------------------------------------------------------

async function ensureSource(path: string, size: number): Promise<void> {
  if (existsSync(path) && statSync(path).size === size) return;
  await mkdir(dirname(path), { recursive: true });
  process.stdout.write(`generating ${size / MIB} MiB source file ${path} (once)...\n`);
  const handle = await open(path, 'w');
  const header = Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d, 0, 0, 2, 0]); // ftyp isom
  for (let written = 0; written < size; ) {
    const chunk = randomBytes(Math.min(16 * MIB, size - written));
    if (written === 0) header.copy(chunk);
    await handle.write(chunk);
    written += chunk.byteLength;
  }
  await handle.close();
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (c) => hash.update(c)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
  });
}

function runChild(kind: 'baseline' | 'rehost', url: string, outDir: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', kind, '--url', url, '--out', outDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${kind} child exited with ${code}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult);
      } catch (error) {
        reject(error);
      }
    });
  });
}

async function main(): Promise<void> {
  const mib = Number(arg('mib', '512'));
  const runs = Number(arg('runs', '2'));
  const size = mib * MIB;
  const source = join(tmp, `rehost-${mib}m.bin`);
  await ensureSource(source, size);
  const sourceHash = await sha256File(source);

  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(size) });
    createReadStream(source, { highWaterMark: 256 * 1024 }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/video.mp4`;

  const results: Record<'baseline' | 'rehost', ChildResult[]> = { baseline: [], rehost: [] };
  try {
    for (let run = 1; run <= runs; run++) {
      for (const kind of ['baseline', 'rehost'] as const) {
        const outDir = join(tmp, `out-${kind}`);
        await rm(outDir, { recursive: true, force: true });
        await mkdir(outDir, { recursive: true });
        const result = await runChild(kind, url, outDir);
        if (result.bytes !== size) throw new Error(`${kind} stored ${result.bytes} bytes, expected ${size}`);
        if (kind === 'rehost' && run === 1) {
          const storedHash = await sha256File(join(outDir, 'fs-storage', 'videos', 'bench.mp4'));
          if (storedHash !== sourceHash) throw new Error('rehost stored different bytes than the source');
        }
        await rm(outDir, { recursive: true, force: true });
        results[kind].push(result);
        console.log(`run ${run} ${kind.padEnd(8)} ${(size / MIB / (result.ms / 1000)).toFixed(1).padStart(7)} MB/s  ${(result.ms / 1000).toFixed(2)} s  peak RSS ${result.maxRssMB.toFixed(0)} MB (${result.startRssMB.toFixed(0)} MB before the transfer)`);
      }
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }

  // Best of the runs for throughput (least disturbed by the shared machine), worst for memory.
  const best = (kind: 'baseline' | 'rehost') => Math.min(...results[kind].map((r) => r.ms));
  const peak = (kind: 'baseline' | 'rehost') => Math.max(...results[kind].map((r) => r.maxRssMB));
  const mbps = (ms: number) => size / MIB / (ms / 1000);
  const baseline = mbps(best('baseline'));
  const ours = mbps(best('rehost'));
  const ratio = ours / baseline;
  const rss = peak('rehost');
  const pass = ratio >= THROUGHPUT_TARGET && rss < RSS_TARGET_MB;
  console.log('');
  console.log(`rehost bench: ${mib} MiB over loopback HTTP into fs storage, ${runs} run(s) each, sha256 verified`);
  console.log(`  baseline (fetch → pipeline → createWriteStream + fsync): ${baseline.toFixed(1)} MB/s, peak RSS ${peak('baseline').toFixed(0)} MB`);
  console.log(`  rehost   (createNodeDownloader → rehost → createFsStorage): ${ours.toFixed(1)} MB/s, peak RSS ${rss.toFixed(0)} MB`);
  console.log(`  throughput ratio rehost/baseline: ${ratio.toFixed(2)}× (target ≥ ${THROUGHPUT_TARGET}×) ${ratio >= THROUGHPUT_TARGET ? 'PASS' : 'FAIL'}`);
  console.log(`  rehost peak RSS: ${rss.toFixed(0)} MB (target < ${RSS_TARGET_MB} MB) ${rss < RSS_TARGET_MB ? 'PASS' : 'FAIL'}`);
  console.log(`  ${pass ? 'PASS' : 'FAIL'}`);
  if (!pass) process.exitCode = 1;
}

if (args[0] === '--child') {
  await child(arg('child', ''), arg('url', ''), arg('out', ''));
} else {
  await main();
}
