/**
 * Entry store benchmark: `pnpm bench store [--store sqlite|memory|postgres] [--entries 100000] [--owners 100] [--runs 200]`.
 *
 * Seeds the store with realistic entries (varied prompts, a rare word in ~0.1% of them), then times the list
 * queries a gallery makes, each against a baseline measured in the same run on the same data:
 *   - sqlite: hand-written raw better-sqlite3 SQL on the same connection (the simplest correct SQL for the query);
 *   - memory: a naive filter + sort + slice over a plain array of the same entries;
 *   - postgres: hand-written raw SQL through its own pg pool on the same database (count + keyset page, strpos() for
 *     the search). The postgres target needs a server: it creates the database `vg_bench_<random>` through
 *     VG_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) and drops it at the end (VG_BENCH_KEEP_DB=1
 *     keeps it for inspection).
 * Prints p50 / p95 for both, the ratio store / baseline, and PASS / FAIL against the target (store p95 ≤ 10 ms).
 *
 * Adding a store means adding one entry to TARGETS: a factory that returns the store, how to
 * seed it fast, and its baseline (raw SQL through its driver).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type BetterSqlite3 from 'better-sqlite3';
import type Pg from 'pg';
// Workspace sources (bench/ has no node_modules link to the workspace packages, so import them by path).
import { createMemoryEntryStore } from '../packages/core/src/memory-store.js';
import { foldSearchText } from '../packages/core/src/entry-store-utils.js';
import type { EntryStore, GalleryEntry, JobStatus, ListQuery } from '../packages/core/src/index.js';
import { createSqliteEntryStore } from '../packages/storage-adapters/src/sqlite/index.js';
import { createPostgresEntryStore } from '../packages/storage-adapters/src/postgres/index.js';

const TARGET_P95_MS = 10;

// ---------------------------------------------------------------------------------------------- arguments

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!;
  const inline = process.argv.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}

const STORE = argValue('store', 'sqlite');
const ENTRIES = Number(argValue('entries', '100000'));
const OWNERS = Number(argValue('owners', '100'));
const RUNS = Number(argValue('runs', '200'));
const WARMUP = 20;
const PAGE_SIZE = 20;
const DEEP_PAGE = 500;

// ---------------------------------------------------------------------------------------------- data

/** Deterministic PRNG (mulberry32) so every run benches the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBJECTS = [
  'A paper boat', 'An old fisherman', 'A red fox', 'A lone astronaut', 'A golden retriever', 'Two children', 'A vintage car',
  'A hummingbird', 'A giant whale', 'A street musician', 'A steam train', 'A white horse', 'A tiny robot', 'A ballerina',
  'A hot air balloon', 'A samurai', 'A sailing ship', 'A snow leopard', 'A city bus', 'A koi fish', 'An elderly couple',
  'A neon-lit taxi', 'A monarch butterfly', 'A lighthouse keeper', 'A herd of elephants', 'A chef', 'A skateboarder',
  'A wooden puppet', 'A polar bear', 'A dragon kite', 'A cyclist', 'A barn owl', 'A jazz trio', 'A glass jellyfish',
];
const ACTIONS = [
  'drifting across', 'walking slowly through', 'racing along', 'dancing in', 'floating above', 'resting beside', 'exploring',
  'gliding over', 'running through', 'waiting in', 'circling above', 'emerging from', 'wandering around', 'crossing',
  'sleeping under', 'playing near', 'climbing', 'diving into', 'spinning through', 'sheltering in',
];
const PLACES = [
  'a calm mountain lake', 'a crowded night market', 'an empty desert highway', 'a bamboo forest', 'a flooded cathedral',
  'a frozen harbour', 'a field of sunflowers', 'the streets of old Kyoto', 'a rainy Paris boulevard', 'a coral reef',
  'an abandoned greenhouse', 'a misty pine valley', 'a busy train station', 'the rings of Saturn', 'a lavender farm',
  'a quiet library', 'a volcanic beach', 'a snowy village square', 'a rooftop garden', 'a canyon river', 'a tea plantation',
  'a medieval castle courtyard', 'a moonlit pier', 'a glowing cave', 'a windswept cliff',
];
const TIMES = [
  'at dawn', 'at golden hour', 'at midnight', 'in the blue hour', 'under a full moon', 'during a thunderstorm', 'in heavy fog',
  'in light snow', 'on a summer afternoon', 'at sunset', 'at sunset', 'after the rain',
];
const STYLES = [
  'cinematic lighting', 'shot on 35mm film', 'watercolor style', 'hyperrealistic', 'Studio Ghibli inspired', 'film noir',
  'pastel colors', 'high contrast', 'dreamy soft focus', 'documentary style', 'vivid saturated colors', 'muted tones',
];
const CAMERAS = [
  'slow dolly in', 'aerial drone shot', 'handheld close-up', 'wide establishing shot', 'tracking shot', 'slow motion',
  'timelapse', 'low angle', 'over-the-shoulder shot', 'static tripod shot',
];
const RARE_WORD = 'axolotl';
const COMMON_TEXT = 'sunset';

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function pickStatus(random: () => number): JobStatus {
  const r = random();
  if (r < 0.86) return 'ready';
  if (r < 0.93) return 'failed';
  if (r < 0.96) return 'cancelled';
  if (r < 0.97) return 'queued';
  if (r < 0.98) return 'generating';
  if (r < 0.99) return 'downloading';
  return 'processing';
}

function ownerId(i: number): string {
  return `user-${String(i).padStart(3, '0')}`;
}

function generateEntries(count: number, owners: number): GalleryEntry[] {
  const random = prng(20251121);
  const entries: GalleryEntry[] = [];
  let t = Date.UTC(2025, 0, 1);
  for (let i = 0; i < count; i++) {
    t += 1 + Math.floor(random() * 600_000); // a few minutes apart on average, a year in total
    const rare = random() < 0.001;
    const subject = rare ? `A curious ${RARE_WORD}` : pick(random, SUBJECTS);
    const prompt = `${subject} ${pick(random, ACTIONS)} ${pick(random, PLACES)} ${pick(random, TIMES)}, ${pick(random, STYLES)}, ${pick(random, CAMERAS)}`;
    const status = pickStatus(random);
    const createdAt = new Date(t).toISOString();
    const done = status === 'ready' || status === 'failed' || status === 'cancelled';
    const id = `gen_${t.toString(36)}_${i.toString(36).padStart(5, '0')}`;
    entries.push({
      id,
      owner: ownerId(Math.floor(random() * owners)),
      status,
      version: done ? 7 : 3,
      request: { provider: 'dashscope', model: 'wan2.5-t2v-preview', prompt, aspectRatio: '16:9', resolution: '720p', durationSeconds: 5, seed: Math.floor(random() * 1e9) },
      idempotencyKey: random() < 0.8 ? `idem-${i}` : null,
      task: { taskId: `task-${i.toString(16)}`, region: 'intl' },
      progress: status === 'generating' ? 0.4 : null,
      polls: done ? 12 : 2,
      transientErrors: 0,
      attempt: 1,
      error: status === 'failed' ? { code: 'content_policy', message: 'The prompt was rejected by the provider safety filter.', retryable: false } : null,
      outputs: status === 'ready' ? [{ url: null }] : null,
      video: status === 'ready' ? { key: `videos/${id}.mp4`, contentType: 'video/mp4', bytes: 1_500_000 + Math.floor(random() * 5e6), durationSeconds: 5, width: 1280, height: 720 } : null,
      thumbnail: status === 'ready' ? { key: `thumbnails/${id}.jpg`, contentType: 'image/jpeg', width: 480, height: 270 } : null,
      usage: status === 'ready' ? { video_count: 1, duration: 5 } : null,
      warnings: [],
      favorite: random() < 0.1,
      caption: null,
      visibility: random() < 0.3 ? 'published' : 'draft',
      createdAt,
      updatedAt: createdAt,
      submittedAt: createdAt,
      completedAt: done ? new Date(t + 90_000).toISOString() : null,
      deadlineAt: null,
      nextRunAt: null,
    });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------- targets

/** A list query as the baseline runs it: the store's query with the cursor replaced by a keyset position. */
interface BaselineQuery {
  owner?: string;
  status?: JobStatus[];
  q?: string;
  limit: number;
  after?: { createdMs: number; id: string };
}

interface BaselineResult {
  ids: string[];
  total: number;
}

interface Target {
  store: EntryStore;
  /** Inserts the entries as fast as the target allows. */
  seed(entries: GalleryEntry[]): Promise<string>;
  baselineName: string;
  baseline(query: BaselineQuery): BaselineResult | Promise<BaselineResult>;
  close(): Promise<void>;
}

async function sqliteTarget(): Promise<Target> {
  const require = createRequire(new URL('../packages/storage-adapters/package.json', import.meta.url));
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-store-'));
  const db = new Database(join(dir, 'bench.db'));
  // The same connection settings the store uses for a file it opens itself (WAL, busy timeout, 32 MiB cache).
  const store = createSqliteEntryStore({ database: db, cacheSizeMiB: 32 });
  await store.ready();
  const statements = new Map<string, BetterSqlite3.Statement<unknown[], unknown>>();
  const prepare = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare<unknown[], unknown>(sql)));
    return s;
  };
  return {
    store,
    async seed(entries) {
      const batch = 10_000;
      for (let i = 0; i < entries.length; i += batch) await store.insertMany(entries.slice(i, i + batch));
      db.exec('ANALYZE');
      return `insertMany, ${Math.ceil(entries.length / batch)} transactions of ${batch}`;
    },
    baselineName: 'raw better-sqlite3 SQL',
    baseline(query) {
      // What one would write by hand: a WHERE over the indexed columns, instr() for the search, keyset ORDER BY.
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.owner !== undefined) { where.push('owner = ?'); params.push(query.owner); }
      if (query.status) { where.push(`status IN (${query.status.map(() => '?').join(',')})`); params.push(...query.status); }
      if (query.q !== undefined) { where.push('instr(prompt_folded, ?) > 0'); params.push(foldSearchText(query.q)); }
      const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const total = (prepare(`SELECT count(*) AS n FROM vg_entries ${filter}`).get(...params) as { n: number }).n;
      if (query.after) { where.push('(created_at_ms, id) < (?, ?)'); params.push(query.after.createdMs, query.after.id); }
      const rows = prepare(
        `SELECT data FROM vg_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at_ms DESC, id DESC LIMIT ?`,
      ).all(...params, query.limit) as { data: string }[];
      return { ids: rows.map((r) => (JSON.parse(r.data) as GalleryEntry).id), total };
    },
    async close() {
      await store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function memoryTarget(): Promise<Target> {
  const store = createMemoryEntryStore();
  let all: { entry: GalleryEntry; ms: number; folded: string }[] = [];
  return {
    store,
    async seed(entries) {
      for (const entry of entries) await store.insert(entry);
      all = entries.map((entry) => ({ entry: structuredClone(entry), ms: Date.parse(entry.createdAt), folded: foldSearchText(entry.request.prompt) }));
      return 'insert() one by one';
    },
    baselineName: 'naive filter + sort over an array',
    baseline(query) {
      const q = query.q === undefined ? undefined : foldSearchText(query.q);
      const matching = all.filter(
        (r) =>
          (query.owner === undefined || r.entry.owner === query.owner) &&
          (!query.status || query.status.includes(r.entry.status)) &&
          (q === undefined || r.folded.includes(q)),
      );
      matching.sort((a, b) => b.ms - a.ms || (a.entry.id < b.entry.id ? 1 : -1));
      const after = query.after;
      const rest = after ? matching.filter((r) => r.ms < after.createdMs || (r.ms === after.createdMs && r.entry.id < after.id)) : matching;
      return { ids: rest.slice(0, query.limit).map((r) => structuredClone(r.entry).id), total: matching.length };
    },
    async close() {},
  };
}

async function postgresTarget(): Promise<Target> {
  const require = createRequire(new URL('../packages/storage-adapters/package.json', import.meta.url));
  const pg = require('pg') as typeof Pg;
  const adminUrl = process.env.VG_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `vg_bench_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`--store postgres needs a PostgreSQL server: could not connect to ${adminUrl} (${(error as Error).message}). Start one or set VG_BENCH_PG_URL.`);
  }
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const store = createPostgresEntryStore({ connectionString: url.toString(), poolSize: 4 });
  const migration = await store.ready();
  if (!migration.trigramIndex) console.warn('warning: pg_trgm is unavailable here, searches scan');
  // The baseline's own pool, so neither side waits for the other's connections.
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    store,
    async seed(entries) {
      const batch = 5000;
      for (let i = 0; i < entries.length; i += batch) await store.insertMany(entries.slice(i, i + batch));
      await pool.query('VACUUM ANALYZE vg_entries');
      return `insertMany, ${Math.ceil(entries.length / batch)} transactions of ${batch} (multi-row INSERTs of 1000), then VACUUM ANALYZE`;
    },
    baselineName: 'raw SQL through pg (count + keyset page, strpos() search)',
    async baseline(query) {
      // What one would write by hand: a WHERE over the indexed columns, strpos() for the search, keyset ORDER BY.
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.owner !== undefined) { params.push(query.owner); where.push(`owner = $${params.length}`); }
      if (query.status) { params.push(query.status); where.push(`status = ANY($${params.length}::text[])`); }
      if (query.q !== undefined) { params.push(foldSearchText(query.q)); where.push(`strpos(prompt_folded, $${params.length}) > 0`); }
      const total = Number((await pool.query(`SELECT count(*) AS n FROM vg_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, params)).rows[0].n);
      if (query.after) {
        params.push(query.after.createdMs, query.after.id);
        where.push(`(created_ms, id) < ($${params.length - 1}::bigint, $${params.length}::text)`);
      }
      params.push(query.limit);
      const rows = (await pool.query(
        `SELECT data FROM vg_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_ms DESC, id DESC LIMIT $${params.length}`,
        params,
      )).rows as { data: GalleryEntry }[];
      return { ids: rows.map((r) => r.data.id), total };
    },
    async close() {
      await store.close();
      await pool.end();
      if (process.env.VG_BENCH_KEEP_DB === '1') console.log(`kept the database for inspection: ${url.toString()}`);
      else await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const TARGETS: Record<string, () => Promise<Target>> = { sqlite: sqliteTarget, memory: memoryTarget, postgres: postgresTarget };

// ---------------------------------------------------------------------------------------------- timing

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Measured {
  p50: number;
  p95: number;
}

async function timeRuns(fn: () => unknown): Promise<Measured> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.(); // start each block from a clean heap, so neither side pays for the other's garbage
  for (let i = 0; i < WARMUP; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

async function measure(store: () => Promise<unknown>, baseline: () => unknown): Promise<{ store: Measured; baseline: Measured }> {
  // Baseline first, then the store, each in its own block.
  const base = await timeRuns(baseline);
  return { store: await timeRuns(store), baseline: base };
}

function positionOf(entry: GalleryEntry | undefined): { createdMs: number; id: string } | undefined {
  return entry ? { createdMs: Date.parse(entry.createdAt), id: entry.id } : undefined;
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const factory = TARGETS[STORE];
  if (!factory) {
    console.error(`unknown --store ${STORE}; available: ${Object.keys(TARGETS).join(', ')}`);
    process.exit(1);
  }
  if (ENTRIES < PAGE_SIZE * DEEP_PAGE) {
    console.error(`--entries must be at least ${PAGE_SIZE * DEEP_PAGE} to reach page ${DEEP_PAGE}`);
    process.exit(1);
  }
  const target = await factory();
  try {
    let t0 = performance.now();
    const entries = generateEntries(ENTRIES, OWNERS);
    const generated = performance.now() - t0;
    t0 = performance.now();
    const how = await target.seed(entries);
    const seeded = performance.now() - t0;

    // The benched owner: the one with the most rare-word prompts (so the rare search finds something).
    const rarePerOwner = new Map<string, number>();
    const perOwner = new Map<string, number>();
    for (const e of entries) {
      perOwner.set(e.owner!, (perOwner.get(e.owner!) ?? 0) + 1);
      if (e.request.prompt.includes(RARE_WORD)) rarePerOwner.set(e.owner!, (rarePerOwner.get(e.owner!) ?? 0) + 1);
    }
    const owner = [...rarePerOwner.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? ownerId(0);
    const rareTotal = entries.filter((e) => e.request.prompt.includes(RARE_WORD)).length;
    const commonTotal = entries.filter((e) => e.request.prompt.includes(COMMON_TEXT)).length;

    console.log(`entry store bench: --store ${STORE}, Node ${process.version}, ${process.platform}/${process.arch}`);
    console.log(
      `data: ${ENTRIES.toLocaleString('en')} entries, ${OWNERS} owners; "${COMMON_TEXT}" in ${commonTotal.toLocaleString('en')} prompts, "${RARE_WORD}" in ${rareTotal}; ` +
        `benched owner ${owner} has ${perOwner.get(owner)} entries`,
    );
    console.log(`generate ${(generated / 1000).toFixed(1)} s; seed ${(seeded / 1000).toFixed(1)} s (${how})`);

    // Walk the cursors of all owners, newest first, to the start of page 500.
    t0 = performance.now();
    let cursor: string | undefined;
    let lastOfPrevious: GalleryEntry | undefined;
    for (let page = 1; page < DEEP_PAGE; page++) {
      const result = await target.store.list({ limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
      cursor = result.nextCursor ?? undefined;
      lastOfPrevious = result.items[result.items.length - 1];
      if (cursor === undefined) throw new Error(`ran out of pages at page ${page}`);
    }
    const walked = performance.now() - t0;
    console.log(`walked ${DEEP_PAGE - 1} pages of ${PAGE_SIZE} to reach page ${DEEP_PAGE}: ${walked.toFixed(0)} ms`);
    console.log(`runs: ${RUNS} per query after ${WARMUP} warm-up; baseline: ${target.baselineName}; target: store p95 <= ${TARGET_P95_MS} ms\n`);

    // `extra: true` rows are informative and do not count towards the result line.
    const queries: { name: string; query: ListQuery; baseline: BaselineQuery; extra?: boolean }[] = [
      { name: 'newest 20, one owner', query: { owner, limit: PAGE_SIZE }, baseline: { owner, limit: PAGE_SIZE } },
      {
        name: 'status failed, one owner',
        query: { owner, status: ['failed'], limit: PAGE_SIZE },
        baseline: { owner, status: ['failed'], limit: PAGE_SIZE },
      },
      {
        name: `search common "${COMMON_TEXT}", one owner`,
        query: { owner, q: COMMON_TEXT.toUpperCase(), limit: PAGE_SIZE },
        baseline: { owner, q: COMMON_TEXT.toUpperCase(), limit: PAGE_SIZE },
      },
      {
        name: `search rare "${RARE_WORD}", one owner`,
        query: { owner, q: RARE_WORD, limit: PAGE_SIZE },
        baseline: { owner, q: RARE_WORD, limit: PAGE_SIZE },
      },
      {
        name: `page ${DEEP_PAGE} by cursor, all owners`,
        query: { limit: PAGE_SIZE, cursor: cursor! },
        baseline: { limit: PAGE_SIZE, ...(positionOf(lastOfPrevious) ? { after: positionOf(lastOfPrevious)! } : {}) },
      },
      {
        name: `(extra) search rare "${RARE_WORD}", all owners`,
        query: { q: RARE_WORD, limit: PAGE_SIZE },
        baseline: { q: RARE_WORD, limit: PAGE_SIZE },
        extra: true,
      },
      {
        name: `(extra) search common "${COMMON_TEXT}", all owners`,
        query: { q: COMMON_TEXT, limit: PAGE_SIZE },
        baseline: { q: COMMON_TEXT, limit: PAGE_SIZE },
        extra: true,
      },
    ];

    const rows: string[][] = [];
    let failures = 0;
    let mismatches = 0;
    for (const { name, query, baseline, extra } of queries) {
      // Same answer first: a fast wrong store is no use.
      const got = await target.store.list(query);
      const want = await target.baseline(baseline);
      const same = got.total === want.total && JSON.stringify(got.items.map((e) => e.id)) === JSON.stringify(want.ids);
      if (!same) mismatches++;
      const m = await measure(() => target.store.list(query), () => target.baseline(baseline));
      const pass = m.store.p95 <= TARGET_P95_MS;
      if (!pass && !extra) failures++;
      rows.push([
        name,
        `${got.items.length}/${got.total}`,
        m.store.p50.toFixed(3),
        m.store.p95.toFixed(3),
        m.baseline.p50.toFixed(3),
        m.baseline.p95.toFixed(3),
        `${(m.store.p50 / m.baseline.p50).toFixed(2)}x`,
        `${(m.store.p95 / m.baseline.p95).toFixed(2)}x`,
        same ? 'yes' : 'NO',
        pass ? 'PASS' : 'FAIL',
      ]);
    }
    const header = ['query', 'items/total', 'store p50', 'store p95', 'base p50', 'base p95', 'ratio p50', 'ratio p95', 'same', `p95<=${TARGET_P95_MS}ms`];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of rows) console.log(line(row));
    console.log('\n(times in ms; ratio = store / baseline; "same" = the store returned the baseline\'s ids and total)');
    const required = queries.filter((q) => !q.extra).length;
    console.log(
      `\nresult: ${failures === 0 && mismatches === 0 ? 'PASS' : 'FAIL'} (${required - failures}/${required} required queries within target` +
        `${mismatches ? `, ${mismatches} result mismatches` : ''}; extras not counted)`,
    );
    if (failures > 0 || mismatches > 0) process.exitCode = 1;
  } finally {
    await target.close();
  }
}

await main();
