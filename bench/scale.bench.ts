/**
 * Distributed runner benchmark: `pnpm bench scale [--jobs 120] [--latency-ms 100] [--task-ms 3000] [--poll-ms 250] [--concurrency 2]`.
 *
 * This process is the web process: a gallery in role `web` (it only enqueues) with the Redis event bridge and the
 * HTTP handler, one SSE client reading its event stream. `video-gallery worker` child processes (1, then 2, then 4)
 * run the jobs from BullMQ on Redis (127.0.0.1:6379, a key prefix per run), sharing PostgreSQL (a throw-away
 * database; SQLite when PostgreSQL is not there) and a filesystem storage. The provider is the DashScope mock in a
 * child process, made time-based: every API answer takes `--latency-ms`, and a task succeeds `--task-ms` after
 * submission (status calls before that answer RUNNING).
 *
 * Prints, per worker count: jobs per minute (and the speed-up over one worker, measured in the same run), provider
 * status calls per job against the count the backoff schedule itself gives (`backoffDelay` from core, no jitter),
 * duplicate submissions, and this web process's p99 event-loop delay (`monitorEventLoopDelay`) under the load.
 * Targets: 4 workers ≥ 2.5× one worker's throughput; status calls per job within ±25 % of the schedule's count;
 * no duplicate submission; the load adds ≤ 50 ms to the web process's p99 event-loop delay measured idle (workers
 * connected, no jobs) just before, in the same run. CPU per job of each kind of process is printed too: on a
 * small shared machine the speed-up stops where the CPU (workers + PostgreSQL + Redis) runs out.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { backoffDelay, type GalleryEntry } from '@video-gallery/core';
import type { BullmqRunner } from '@video-gallery/core/bullmq';
import { toNodeListener } from '@video-gallery/core/node';
import { createGalleryHandler } from '@video-gallery/core/server';
import { createDashScopeMock, serveHandler } from '@video-gallery/providers/testing';
import { createGalleryFromEnv } from '../packages/cli/src/env.js';
import {
  CLI_BIN, createTestDatabase, openEventStream, postgresStoreAvailable, reachable, spawnTs, tempDir, uniqueName, until, type Proc,
} from '../packages/cli/src/distributed/harness.js';

/** CPU seconds a process has used (Linux /proc; 0 elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return value === undefined ? fallback : Number(value);
}

const JOBS = arg('jobs', 120);
const LATENCY_MS = arg('latency-ms', 100);
const TASK_MS = arg('task-ms', 3000);
const POLL_MS = arg('poll-ms', 250);
const CONCURRENCY = arg('concurrency', 2);
const WORKER_COUNTS = [1, 2, 4];
const TARGET_SPEEDUP_4 = 2.5;
const TARGET_POLL_RATIO = 0.25;
/** Event-loop delay the load may add to the web process's own idle p99 (measured just before, same run). */
const TARGET_P99_ADDED_MS = 50;

// ---------------------------------------------------------------- the provider (child process mode)

if (process.argv.includes('--mock')) {
  const mock = createDashScopeMock({ pendingPolls: 0, queuedPolls: 0 });
  const createdAt = new Map<string, number>();
  let submits: string[] = [];
  let statusCalls = 0;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const served = await serveHandler(async (request) => {
    const url = new URL(request.url);
    if (url.pathname === '/__stats') return Response.json({ submits, statusCalls });
    if (url.pathname === '/__reset') {
      submits = [];
      statusCalls = 0;
      createdAt.clear();
      mock.reset();
      return Response.json({ ok: true });
    }
    await sleep(LATENCY_MS);
    const status = /\/api\/v1\/tasks\/([^/]+)$/.exec(url.pathname);
    if (request.method === 'GET' && status) {
      statusCalls++;
      const started = createdAt.get(decodeURIComponent(status[1]!));
      if (started !== undefined && Date.now() - started < TASK_MS) {
        return Response.json({ request_id: 'bench', output: { task_id: status[1], task_status: 'RUNNING' } });
      }
      return mock.handle(request);
    }
    if (request.method === 'POST' && url.pathname.endsWith('/video-synthesis')) {
      const body = await request.clone().json() as { input: { prompt: string } };
      submits.push(body.input.prompt);
      const response = await mock.handle(request);
      const answer = await response.clone().json() as { output?: { task_id?: string } };
      if (answer.output?.task_id) createdAt.set(answer.output.task_id, Date.now());
      return response;
    }
    return mock.handle(request);
  }, { port: 0 });
  console.log(`mock ${served.url} ${mock.apiKey}`);
  process.once('SIGTERM', () => void served.close().then(() => process.exit(0)));
  await new Promise(() => {});
}

// ---------------------------------------------------------------- the web process

/** Status calls a job makes per the engine's schedule (no jitter): polls until one lands at or after TASK_MS. */
function scheduledStatusCalls(): number {
  const poll = { initialDelayMs: POLL_MS, maxDelayMs: POLL_MS * 4, jitter: 0 };
  // The task's clock starts when the provider accepts it; the first poll waits backoffDelay(0) after that.
  let t = 0;
  for (let polls = 0; ; polls++) {
    t += backoffDelay(polls, poll, () => 0.5) + LATENCY_MS;
    if (t >= TASK_MS) return polls + 1;
  }
}

async function main() {
  if (!(await reachable(6379))) {
    console.log('SKIP: Redis is not answering on 127.0.0.1:6379 (tooling.md §12).');
    process.exit(process.env.VG_REQUIRE_ALL === '1' ? 1 : 0);
  }
  const dataDir = tempDir('vg-bench-scale-');
  let database: { url: string; drop(): void } | null = null;
  if (await postgresStoreAvailable()) {
    const created = await createTestDatabase();
    if ('url' in created) database = created;
  }
  const mockProc = spawnTs('mock', new URL(import.meta.url).pathname, ['--mock', '--latency-ms', String(LATENCY_MS), '--task-ms', String(TASK_MS)], process.env);
  const [, mockUrl, apiKey] = await mockProc.waitFor(/^mock (\S+) (\S+)$/m);
  const expectedCalls = scheduledStatusCalls();
  console.log(`scale bench: ${JOBS} jobs per run; provider latency ${LATENCY_MS} ms per call, task ${TASK_MS} ms; poll ${POLL_MS} ms (x1.5, max ${POLL_MS * 4} ms); worker concurrency ${CONCURRENCY}`);
  console.log(`entries: ${database ? 'postgres (throw-away database)' : 'sqlite (shared file)'}; storage: fs; queue: BullMQ on redis://127.0.0.1:6379`);
  console.log(`backoff schedule: ${expectedCalls} status calls per job\n`);

  const rows: { workers: number; perMinute: number; callsPerJob: number; duplicates: number; p99: number; p50: number; idleP99: number; events: number; cpu: { web: number; workers: number; mock: number } }[] = [];
  try {
    for (const count of WORKER_COUNTS) {
      const prefix = uniqueName('bench');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        VIDEO_GALLERY_DATA_DIR: dataDir.path,
        REDIS_URL: 'redis://127.0.0.1:6379',
        VIDEO_GALLERY_REDIS_PREFIX: prefix,
        VIDEO_GALLERY_POLL_MS: String(POLL_MS),
        VIDEO_GALLERY_MEDIA: 'none',
        VIDEO_GALLERY_WORKER_CONCURRENCY: String(CONCURRENCY),
        VIDEO_GALLERY_ALLOW_PRIVATE_NETWORK: '1',
        DASHSCOPE_API_KEY: apiKey,
        DASHSCOPE_BASE_URL: `${mockUrl}/api/v1`,
        ...(database ? { DATABASE_URL: database.url } : {}),
      };
      await fetch(`${mockUrl}/__reset`);
      const workers: Proc[] = Array.from({ length: count }, (_, n) => spawnTs(`worker ${n + 1}`, CLI_BIN, ['worker'], env));
      const web = await createGalleryFromEnv({ dataDir: dataDir.path, env, role: 'web' });
      const handler = createGalleryHandler(web.gallery, { authenticate: () => 'bench', eventBufferSize: 20_000 });
      const server = createServer(toNodeListener(handler));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        await Promise.all(workers.map((w) => w.waitFor(/worker: ready/)));
        const stream = await openEventStream(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/gallery/events`, {});
        // Baseline: the same web process, workers connected, no jobs.
        const idle = monitorEventLoopDelay({ resolution: 10 });
        idle.enable();
        await new Promise((resolve) => setTimeout(resolve, 3000));
        idle.disable();
        const loop = monitorEventLoopDelay({ resolution: 10 });
        loop.enable();
        const ended = new Set<string>();
        let allEnded!: () => void;
        const finished = new Promise<void>((resolve) => (allEnded = resolve));
        // Workers' job-end events arrive through the bridge; the entries are read once at the end.
        web.gallery.on('job-end', (entry) => {
          ended.add(entry.id);
          if (ended.size === JOBS) allEnded();
        });
        const cpuBefore = { web: process.cpuUsage(), workers: workers.map((w) => cpuSeconds(w.child.pid)), mock: cpuSeconds(mockProc.child.pid) };
        const started = performance.now();
        const ids: string[] = [];
        for (let i = 0; i < JOBS; i++) {
          ids.push((await web.gallery.generate({ provider: 'dashscope', model: 'wan2.2-t2v-plus', resolution: '480p', prompt: `bench ${count} ${i}` }, { owner: 'bench' })).id);
        }
        await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${ended.size} of ${JOBS} jobs ended in 10 minutes`)), 600_000).unref())]);
        const done = (await Promise.all(ids.map((id) => web.store.get(id)))) as GalleryEntry[];
        const seconds = (performance.now() - started) / 1000;
        const webCpu = process.cpuUsage(cpuBefore.web);
        const cpu = {
          web: (webCpu.user + webCpu.system) / 1e6,
          workers: workers.reduce((sum, w, i) => sum + cpuSeconds(w.child.pid) - cpuBefore.workers[i]!, 0),
          mock: cpuSeconds(mockProc.child.pid) - cpuBefore.mock,
        };
        loop.disable();
        stream.close();
        const failed = done.filter((e) => e.status !== 'ready');
        if (failed.length > 0) throw new Error(`${failed.length} jobs failed: ${failed[0]!.error?.code} ${failed[0]!.error?.message}`);
        const stats = await (await fetch(`${mockUrl}/__stats`)).json() as { submits: string[]; statusCalls: number };
        rows.push({
          workers: count,
          perMinute: (JOBS / seconds) * 60,
          callsPerJob: stats.statusCalls / JOBS,
          duplicates: stats.submits.length - new Set(stats.submits).size,
          p99: loop.percentile(99) / 1e6,
          p50: loop.percentile(50) / 1e6,
          idleP99: idle.percentile(99) / 1e6,
          events: stream.events.length,
          cpu,
        });
        await (await (web.gallery.runner as BullmqRunner).queue()).obliterate({ force: true });
      } finally {
        handler.close();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await Promise.all(workers.map((w) => w.stop()));
        await web.gallery.close();
      }
    }
  } finally {
    await mockProc.stop();
    database?.drop();
    dataDir.remove();
  }

  const base = rows[0]!.perMinute;
  console.log('workers  jobs/min  speed-up  status calls/job  vs schedule  duplicate starts  web loop p99 idle -> loaded (ms)  SSE events');
  for (const r of rows) {
    console.log(`${String(r.workers).padStart(7)}  ${r.perMinute.toFixed(0).padStart(8)}  ${(r.perMinute / base).toFixed(2).padStart(7)}x  ${r.callsPerJob.toFixed(2).padStart(16)}  ${(r.callsPerJob / expectedCalls).toFixed(2).padStart(10)}x  ${String(r.duplicates).padStart(16)}  ${`${r.idleP99.toFixed(1)} -> ${r.p99.toFixed(1)} (${(r.p99 / r.idleP99).toFixed(2)}x)`.padStart(31)}  ${String(r.events).padStart(10)}`);
  }
  console.log('\nCPU per job (ms): web / workers / provider mock; the machine has 2 cores, shared with PostgreSQL and Redis');
  for (const r of rows) console.log(`${String(r.workers).padStart(7)}  ${(r.cpu.web / JOBS * 1000).toFixed(1)} / ${(r.cpu.workers / JOBS * 1000).toFixed(1)} / ${(r.cpu.mock / JOBS * 1000).toFixed(1)}`);
  const speedup4 = rows.find((r) => r.workers === 4)!.perMinute / base;
  const pollOk = rows.every((r) => Math.abs(r.callsPerJob / expectedCalls - 1) <= TARGET_POLL_RATIO);
  const dupOk = rows.every((r) => r.duplicates === 0);
  const worstAdded = Math.max(...rows.map((r) => r.p99 - r.idleP99));
  const checks = [
    [`4 workers ≥ ${TARGET_SPEEDUP_4}x one worker`, `${speedup4.toFixed(2)}x`, speedup4 >= TARGET_SPEEDUP_4],
    [`status calls per job within ±${TARGET_POLL_RATIO * 100}% of the schedule (${expectedCalls})`, rows.map((r) => r.callsPerJob.toFixed(2)).join(' / '), pollOk],
    ['no duplicate submission', rows.map((r) => r.duplicates).join(' / '), dupOk],
    [`the load adds ≤ ${TARGET_P99_ADDED_MS} ms to the web process's idle p99 event-loop delay`, `+${worstAdded.toFixed(1)} ms (worst run)`, worstAdded <= TARGET_P99_ADDED_MS],
  ] as const;
  console.log('');
  for (const [what, value, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}: ${value}`);
  process.exitCode = checks.every(([, , ok]) => ok) ? 0 : 1;
}

await main();
