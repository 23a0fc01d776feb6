// `pnpm bench range [--requests N] [--concurrency N] [--whole N] [--rounds N] [--mib N]`
//
// Serves a 100 MiB video from filesystem storage through `createGalleryHandler` + `toNodeListener` on node:http,
// and the same file with the `send` package on bare node:http (the baseline), in the same run and process.
// nginx is used as a second reference when it is installed (it is detected, else skipped).
// The load comes from a child process (plain node:http with a keep-alive agent), so client and server each get
// a core:
//   - random 64 KiB ranges: N requests with C in flight → requests/s
//   - whole-file downloads, one at a time → MB/s
// Rounds alternate between the servers; the best round of each counts. The server process's CPU time per ranged
// request is printed too: on a shared, loaded machine it is a steadier comparison than requests/s.
// Targets: ≥ 1.0× send's ranged requests/s and ≥ 0.9× its whole-file throughput.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import send from 'send';
import { VideoGallery, createMemoryEntryStore, inProcessRunner } from '@video-gallery/core';
import { toNodeListener } from '@video-gallery/core/node';
import { createGalleryHandler } from '@video-gallery/core/server';
import { createFakeProvider, makeEntry } from '@video-gallery/core/testing';
import { createFsStorage } from '@video-gallery/storage-adapters/fs';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const MIB = 1024 * 1024;
const SIZE_MIB = arg('mib', 100);
const REQUESTS = arg('requests', 4000);
const CONCURRENCY = arg('concurrency', 8);
const WHOLE = arg('whole', 4);
const ROUNDS = arg('rounds', 3);
const RANGE_BYTES = 64 * 1024;
const REQ_TARGET = 1.0;
const THROUGHPUT_TARGET = 0.9;

// The load generator: a plain ESM script run by a child `node`, so it needs no TypeScript loader.
const CLIENT = `
import http from 'node:http';
const [url, size, requests, concurrency, whole, rangeBytes, authorization] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const headers = authorization ? { authorization } : {};
function get(extra) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { ...headers, ...extra } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => { bytes += chunk.length; });
      res.on('end', () => resolve({ status: res.statusCode, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
let seed = 42;
const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const total = Number(size);
let next = 0; let bad = 0;
const started = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
  while (next < Number(requests)) {
    next++;
    const start = Math.floor(random() * (total - Number(rangeBytes)));
    const r = await get({ range: 'bytes=' + start + '-' + (start + Number(rangeBytes) - 1) });
    if (r.status !== 206 || r.bytes !== Number(rangeBytes)) bad++;
  }
}));
const rangeMs = performance.now() - started;
const wholeStarted = performance.now();
let wholeBytes = 0;
for (let i = 0; i < Number(whole); i++) {
  const r = await get({});
  if (r.status !== 200 || r.bytes !== total) bad++;
  wholeBytes += r.bytes;
}
const wholeMs = performance.now() - wholeStarted;
agent.destroy();
process.stdout.write(JSON.stringify({ rangeMs, wholeMs, wholeBytes, bad }));
`;

interface ClientResult {
  rangeMs: number;
  wholeMs: number;
  wholeBytes: number;
  bad: number;
}

interface Figures {
  reqPerSec: number;
  mbPerSec: number;
  /** Server-process CPU (user + system, all threads) per ranged request, µs. */
  cpuPerRequestUs: number;
  /** Server-process CPU per MiB of whole-file download, ms. */
  cpuPerMiBMs: number;
}

function spawnClient(clientFile: string, url: string, size: number, requests: number, whole: number, authorization: string): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [clientFile, url, String(size), String(requests), String(CONCURRENCY), String(whole), String(RANGE_BYTES), authorization], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (data) => (out += String(data)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`client exited with ${code}`));
      const result = JSON.parse(out) as ClientResult;
      if (result.bad > 0) return reject(new Error(`${result.bad} responses were wrong from ${url}`));
      resolve(result);
    });
  });
}

/** Ranged requests, then whole-file downloads, each in its own client run so the server's CPU can be split. */
async function runClient(clientFile: string, url: string, size: number, authorization = ''): Promise<Figures> {
  const cpu = (): number => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  };
  let before = cpu();
  const ranged = await spawnClient(clientFile, url, size, REQUESTS, 0, authorization);
  const rangedCpu = cpu() - before;
  before = cpu();
  const whole = await spawnClient(clientFile, url, size, 0, WHOLE, authorization);
  const wholeCpu = cpu() - before;
  return {
    reqPerSec: REQUESTS / (ranged.rangeMs / 1000),
    mbPerSec: whole.wholeBytes / MIB / (whole.wholeMs / 1000),
    cpuPerRequestUs: rangedCpu / REQUESTS,
    cpuPerMiBMs: wholeCpu / 1000 / (whole.wholeBytes / MIB),
  };
}

async function listen(listener: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(listener);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function findNginx(): string | null {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    const probe = spawnSync(candidate, ['-v'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vg-range-bench-'));
  try {
    const size = SIZE_MIB * MIB;
    const storage = createFsStorage({ root: path.join(dir, 'media'), fsync: false });
    const entry = makeEntry({ owner: 'bench', status: 'ready', request: { prompt: 'bench clip' } });
    const key = `videos/${entry.id}.mp4`;
    const chunk = new Uint8Array(MIB);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) % 251;
    let written = 0;
    await storage.put(key, new ReadableStream<Uint8Array>({
      pull(controller) {
        if (written >= size) return controller.close();
        controller.enqueue(chunk);
        written += chunk.byteLength;
      },
    }), { contentType: 'video/mp4' });
    entry.video = { key, contentType: 'video/mp4', bytes: size, durationSeconds: 60, width: 1280, height: 720 };
    const store = createMemoryEntryStore();
    await store.insert(entry);
    const gallery = new VideoGallery({ providers: [createFakeProvider()], storage, store, runner: inProcessRunner(), logger: { warn: () => {} } });
    const handler = createGalleryHandler(gallery, { authenticate: (request) => (request.headers.get('authorization') === 'Bearer bench' ? 'bench' : null) });
    const filePath = storage.pathOf(key);
    const clientFile = path.join(dir, 'client.mjs');
    await writeFile(clientFile, CLIENT);

    const ours = await listen(toNodeListener(handler));
    const baseline = await listen((req, res) => {
      send(req, path.basename(filePath), { root: path.dirname(filePath), cacheControl: false }).pipe(res);
    });
    const oursUrl = `http://127.0.0.1:${ours.port}/api/gallery/generations/${entry.id}/video`;
    const baselineUrl = `http://127.0.0.1:${baseline.port}/${path.basename(filePath)}`;

    console.log(`range bench: ${SIZE_MIB} MiB video in fs storage, ${REQUESTS} random ${RANGE_BYTES / 1024} KiB ranges with ${CONCURRENCY} in flight, ${WHOLE} whole-file downloads, ${ROUNDS} rounds (best counts)`);
    console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
    // Warm-up: page cache, JIT.
    await runClient(clientFile, oursUrl, size, 'Bearer bench');
    await runClient(clientFile, baselineUrl, size);

    const best = {
      ours: { reqPerSec: 0, mbPerSec: 0, cpuPerRequestUs: Infinity, cpuPerMiBMs: Infinity },
      send: { reqPerSec: 0, mbPerSec: 0, cpuPerRequestUs: Infinity, cpuPerMiBMs: Infinity },
    };
    const keepBest = (into: Figures, from: Figures): void => {
      into.reqPerSec = Math.max(into.reqPerSec, from.reqPerSec);
      into.mbPerSec = Math.max(into.mbPerSec, from.mbPerSec);
      into.cpuPerRequestUs = Math.min(into.cpuPerRequestUs, from.cpuPerRequestUs);
      into.cpuPerMiBMs = Math.min(into.cpuPerMiBMs, from.cpuPerMiBMs);
    };
    for (let round = 1; round <= ROUNDS; round++) {
      const b = await runClient(clientFile, baselineUrl, size);
      const o = await runClient(clientFile, oursUrl, size, 'Bearer bench');
      const show = (f: Figures): string => `${f.reqPerSec.toFixed(0)} req/s (${f.cpuPerRequestUs.toFixed(0)} µs CPU each), ${f.mbPerSec.toFixed(0)} MB/s (${f.cpuPerMiBMs.toFixed(2)} ms CPU/MiB)`;
      console.log(`  round ${round}: handler ${show(o)} | send ${show(b)}`);
      keepBest(best.ours, o);
      keepBest(best.send, b);
    }

    const nginx = findNginx();
    if (nginx === null) console.log('  nginx: not installed, skipped');
    else console.log(`  nginx: found at ${nginx}, but not measured by this bench (send is the baseline)`);

    const reqRatio = best.ours.reqPerSec / best.send.reqPerSec;
    const mbRatio = best.ours.mbPerSec / best.send.mbPerSec;
    console.log('');
    console.log(`  ranged 64 KiB: handler ${best.ours.reqPerSec.toFixed(0)} req/s, send ${best.send.reqPerSec.toFixed(0)} req/s → ${reqRatio.toFixed(2)}× (target ≥ ${REQ_TARGET}×) ${reqRatio >= REQ_TARGET ? 'PASS' : 'FAIL'}`);
    console.log(`  server CPU per ranged request (lower is better, least sensitive to machine load): handler ${best.ours.cpuPerRequestUs.toFixed(0)} µs, send ${best.send.cpuPerRequestUs.toFixed(0)} µs → ${(best.send.cpuPerRequestUs / best.ours.cpuPerRequestUs).toFixed(2)}× send's efficiency (informational)`);
    console.log(`  whole file:    handler ${best.ours.mbPerSec.toFixed(0)} MB/s, send ${best.send.mbPerSec.toFixed(0)} MB/s → ${mbRatio.toFixed(2)}× (target ≥ ${THROUGHPUT_TARGET}×) ${mbRatio >= THROUGHPUT_TARGET ? 'PASS' : 'FAIL'}`);
    console.log(`  ${reqRatio >= REQ_TARGET && mbRatio >= THROUGHPUT_TARGET ? 'PASS' : 'FAIL'}`);
    ours.server.closeAllConnections();
    baseline.server.closeAllConnections();
    ours.server.close();
    baseline.server.close();
    handler.close();
    await gallery.runner.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
