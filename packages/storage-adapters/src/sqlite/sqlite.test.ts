import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GalleryError, foldSearchText } from '@video-gallery/core';
import type { GalleryEntry } from '@video-gallery/core';
import { makeEntry, testEntryStore } from '@video-gallery/core/testing';
import type Database from 'better-sqlite3';
import { createSqliteEntryStore, migrateSqlite, SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from './index.js';
import type { SqliteEntryStoreOptions } from './index.js';
import { explainNativeAddonError, loadBetterSqlite3 } from './load.js';

// better-sqlite3 is an optional peer with a native addon: skip loudly when it cannot be loaded here.
let Sqlite: typeof Database | null = null;
let unavailable: string | false = false;
try {
  Sqlite = await loadBetterSqlite3();
  new Sqlite(':memory:').close();
} catch (error) {
  unavailable = `better-sqlite3 cannot be loaded: ${(error as Error).message}`;
}
const requireAll = process.env.VG_REQUIRE_ALL === '1';
if (unavailable && !requireAll) console.warn(`[sqlite tests] SKIPPING: ${unavailable}`);
const skip = requireAll ? false : unavailable;

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'vg-sqlite-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

function fileStore(extra: Partial<SqliteEntryStoreOptions> = {}) {
  return async () => {
    const { dir, remove } = await tempDir();
    const store = createSqliteEntryStore({ filename: join(dir, 'gallery.db'), ...extra } as SqliteEntryStoreOptions);
    return { store, cleanup: remove };
  };
}

testEntryStore({ name: 'sqlite', create: fileStore(), skip });
testEntryStore({ name: 'sqlite (searchStrategy: scan)', create: fileStore({ searchStrategy: 'scan' }), skip });

async function expectCode(action: () => Promise<unknown>, code: string): Promise<GalleryError> {
  const error = await action().then(
    () => null,
    (e: unknown) => e,
  );
  expect(GalleryError.isInstance(error), `expected GalleryError ${code}, got ${String(error)}`).toBe(true);
  expect((error as GalleryError).code).toBe(code);
  return error as GalleryError;
}

describe.skipIf(skip)('sqlite entry store specifics', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const open: Database.Database[] = [];

  /** A raw better-sqlite3 connection, closed after the test; `log` receives every SQL statement it runs. */
  function raw(filename: string, log?: string[]): Database.Database {
    const db = new Sqlite!(filename, log ? { verbose: (sql) => log.push(String(sql)) } : {});
    open.push(db);
    return db;
  }

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });

  afterEach(async () => {
    for (const db of open.splice(0)) if (db.open) db.close();
    await remove();
  });

  describe('migrations', () => {
    it('creates the schema on a new file, records every version, and never re-runs it on re-open', async () => {
      const filename = join(dir, 'gallery.db');
      const store = createSqliteEntryStore({ filename });
      const first = await store.ready();
      expect(first).toEqual({ from: 0, to: SQLITE_SCHEMA_VERSION, applied: SQLITE_MIGRATIONS.map((m) => m.version) });
      const entry = makeEntry({ owner: 'alice', request: { prompt: 'Kept across restarts' } });
      await store.insert(entry);
      await store.close();

      const db = raw(filename);
      const recorded = db.prepare('SELECT version, name, applied_at FROM vg_migrations ORDER BY version').all() as { version: number; applied_at: string }[];
      expect(recorded.map((r) => r.version)).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
      db.close();

      const reopened = createSqliteEntryStore({ filename });
      expect(await reopened.ready()).toEqual({ from: SQLITE_SCHEMA_VERSION, to: SQLITE_SCHEMA_VERSION, applied: [] });
      expect(await reopened.get(entry.id)).toEqual(entry);
      expect((await reopened.list({ q: 'ACROSS RESTARTS', limit: 5 })).items.map((e) => e.id)).toEqual([entry.id]);
      await reopened.close();

      const again = raw(filename).prepare('SELECT version, name, applied_at FROM vg_migrations ORDER BY version').all();
      expect(again).toEqual(recorded);
    });

    it('migrates an older schema forward and backfills the search index for existing rows', async () => {
      const filename = join(dir, 'old.db');
      const db = raw(filename);
      migrateSqlite(db, SQLITE_MIGRATIONS.slice(0, 1));
      const old = makeEntry({ owner: 'alice', request: { prompt: 'Written before the search index existed' } });
      db.prepare(
        `INSERT INTO vg_entries (id, owner, status, favorite, visibility, created_at_ms, idempotency_key, version, prompt_folded, data)
         VALUES (?, ?, ?, 0, 'draft', ?, NULL, 1, ?, ?)`,
      ).run(old.id, old.owner, old.status, Date.parse(old.createdAt), foldSearchText(old.request.prompt), JSON.stringify(old));
      db.close();

      const store = createSqliteEntryStore({ filename, searchStrategy: 'index' });
      expect(await store.ready()).toEqual({ from: 1, to: SQLITE_SCHEMA_VERSION, applied: SQLITE_MIGRATIONS.slice(1).map((m) => m.version) });
      expect((await store.list({ q: 'SEARCH INDEX', limit: 5 })).items.map((e) => e.id)).toEqual([old.id]);
      await store.close();
    });

    it('refuses a database written by a newer release with unsupported', async () => {
      const filename = join(dir, 'future.db');
      const db = raw(filename);
      migrateSqlite(db);
      db.prepare("INSERT INTO vg_migrations (version, name, applied_at) VALUES (999, 'from the future', 'now')").run();
      db.close();
      const store = createSqliteEntryStore({ filename });
      const error = await expectCode(() => store.get('x'), 'unsupported');
      expect(error.message).toMatch(/schema version 999/);
      await store.close();
    });

    it('rolls back a failing migration completely and records nothing for it', () => {
      const db = raw(join(dir, 'broken.db'));
      const broken = [
        ...SQLITE_MIGRATIONS,
        { version: SQLITE_SCHEMA_VERSION + 1, name: 'broken', up: (d: Database.Database) => d.exec('CREATE TABLE half_done (x); SELECT * FROM no_such_table;') },
      ];
      expect(() => migrateSqlite(db, broken)).toThrow(/no_such_table/);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
      expect((db.prepare('SELECT max(version) AS v FROM vg_migrations').get() as { v: number }).v).toBe(SQLITE_SCHEMA_VERSION);
    });
  });

  describe('connection', () => {
    it('uses WAL and the configured busy timeout, and creates missing parent directories', async () => {
      const filename = join(dir, 'nested', 'deeper', 'gallery.db');
      const store = createSqliteEntryStore({ filename, busyTimeoutMs: 1234 });
      await store.ready();
      expect(existsSync(filename)).toBe(true);
      expect(raw(filename).pragma('journal_mode', { simple: true })).toBe('wal');
      await store.close();

      const mine = raw(join(dir, 'mine.db'));
      const shared = createSqliteEntryStore({ database: mine, busyTimeoutMs: 4321 });
      await shared.ready();
      expect(mine.pragma('busy_timeout', { simple: true })).toBe(4321);
      expect(mine.pragma('journal_mode', { simple: true })).toBe('wal');
    });

    it('leaves a database passed in open on close(), and closes one it opened', async () => {
      const mine = raw(join(dir, 'mine.db'));
      const store = createSqliteEntryStore({ database: mine });
      await store.insert(makeEntry());
      await store.close();
      expect(mine.open).toBe(true);
      expect((mine.prepare('SELECT count(*) AS n FROM vg_entries').get() as { n: number }).n).toBe(1);
    });

    it('fails with storage_failed after close(), and close() is idempotent', async () => {
      const store = createSqliteEntryStore({ filename: join(dir, 'x.db') });
      await store.ready();
      await store.close();
      await store.close();
      await expectCode(() => store.get('x'), 'storage_failed');
    });

    it('validates its options with invalid_input', () => {
      expect(() => createSqliteEntryStore({} as SqliteEntryStoreOptions)).toThrow(/filename/);
      expect(() => createSqliteEntryStore({ filename: '' })).toThrow(/non-empty/);
      expect(() => createSqliteEntryStore({ filename: 'x.db', searchStrategy: 'fast' as 'auto' })).toThrow(/searchStrategy/);
    });

    it('lets two stores on one file see each other’s writes and detects stale versions across them', async () => {
      const filename = join(dir, 'shared.db');
      const a = createSqliteEntryStore({ filename });
      const b = createSqliteEntryStore({ filename });
      const entry = makeEntry({ owner: 'alice', idempotencyKey: 'k' });
      await a.insert(entry);
      expect((await b.findByIdempotencyKey('alice', 'k'))?.id).toBe(entry.id);
      await expectCode(() => b.insert(makeEntry({ owner: 'alice', idempotencyKey: 'k' })), 'conflict');
      await b.update(entry.id, { status: 'submitting' }, { expectVersion: 1 });
      await expectCode(() => a.update(entry.id, { status: 'cancelled' }, { expectVersion: 1 }), 'conflict');
      expect((await a.get(entry.id))?.status).toBe('submitting');
      await a.close();
      await b.close();
    });

    it('insertMany is all or nothing', async () => {
      const store = createSqliteEntryStore({ filename: join(dir, 'batch.db') });
      const existing = makeEntry();
      await store.insert(existing);
      const batch = [makeEntry(), makeEntry(), { ...makeEntry(), id: existing.id }];
      await expectCode(() => store.insertMany(batch), 'conflict');
      expect((await store.list({ limit: 10 })).total).toBe(1);
      await store.insertMany(batch.slice(0, 2));
      expect((await store.list({ limit: 10 })).total).toBe(3);
      await store.close();
    });
  });

  describe('indexes and query plans', () => {
    it('has the expected indexes', async () => {
      const filename = join(dir, 'gallery.db');
      const store = createSqliteEntryStore({ filename });
      await store.ready();
      await store.close();
      const names = (raw(filename).prepare("SELECT name FROM sqlite_master WHERE type IN ('index', 'table') ORDER BY name").all() as { name: string }[]).map((r) => r.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'vg_entries',
          'vg_entries_id',
          'vg_entries_owner_created',
          'vg_entries_owner_status_created',
          'vg_entries_created',
          'vg_entries_status_created',
          'vg_entries_visibility_created',
          'vg_entries_owner_idempotency',
          'vg_entries_anonymous_idempotency',
          'vg_entries_search',
          'vg_migrations',
        ]),
      );
    });

    it('answers the common queries from indexes, without sorting (EXPLAIN QUERY PLAN of the SQL the store runs)', async () => {
      const filename = join(dir, 'plans.db');
      const log: string[] = [];
      const db = raw(filename, log);
      const store = createSqliteEntryStore({ database: db });
      const entries: GalleryEntry[] = [];
      for (let i = 0; i < 300; i++) {
        entries.push(
          makeEntry({
            owner: `owner-${i % 10}`,
            status: i % 7 === 0 ? 'failed' : 'ready',
            idempotencyKey: `key-${i}`,
            createdAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
            request: { prompt: i === 42 ? 'a rare axolotl swims' : `a common sunset number ${i}` },
          }),
        );
      }
      await store.insertMany(entries);
      db.exec('ANALYZE');

      const plansOf = async (action: () => Promise<unknown>): Promise<string[]> => {
        log.length = 0;
        await action();
        const selects = log.filter((sql) => /^\s*SELECT/i.test(sql) && /FROM vg_entries\b/.test(sql));
        expect(selects.length).toBeGreaterThan(0);
        return selects.map((sql) =>
          (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | '),
        );
      };

      // The count may use any index that starts with owner; the page must walk vg_entries_owner_created in order.
      const newest = await plansOf(() => store.list({ owner: 'owner-3', limit: 20 }));
      for (const plan of newest) expect(plan).toMatch(/USING (COVERING )?INDEX vg_entries_owner_\w+ \(owner=\?/);
      expect(newest[newest.length - 1]).toMatch(/USING INDEX vg_entries_owner_created \(owner=\?\)/);
      expect(newest.join(' ')).not.toMatch(/TEMP B-TREE/);

      const page = (await store.list({ owner: 'owner-3', limit: 5 })).nextCursor!;
      const next = await plansOf(() => store.list({ owner: 'owner-3', limit: 5, cursor: page }));
      expect(next.join(' ')).toMatch(/INDEX vg_entries_owner_created \(owner=\? AND \(created_at_ms,id\)<\(\?,\?\)\)/);

      const status = await plansOf(() => store.list({ owner: 'owner-3', status: ['failed'], limit: 20 }));
      for (const plan of status) expect(plan).toMatch(/INDEX vg_entries_owner_status_created \(owner=\? AND status=\?/);

      const allOwners = (await store.list({ limit: 20 })).nextCursor!;
      const deep = await plansOf(() => store.list({ limit: 20, cursor: allOwners }));
      expect(deep[deep.length - 1]).toMatch(/INDEX vg_entries_created \(\(created_at_ms,id\)<\(\?,\?\)\)/);

      // A search within one owner scans that owner's prompts in vg_entries_owner_created (prompt_folded is in it).
      const search = await plansOf(() => store.list({ owner: 'owner-2', q: 'AXOLOTL', limit: 20 }));
      expect(search[search.length - 1]).toMatch(/USING INDEX vg_entries_owner_created \(owner=\?\)/);
      expect(search.join(' ')).not.toMatch(/TEMP B-TREE/);
      const indexed = createSqliteEntryStore({ database: db, searchStrategy: 'index' });
      const viaIndex = await plansOf(() => indexed.list({ owner: 'owner-2', q: 'AXOLOTL', limit: 20 }));
      expect(viaIndex.join(' ')).toMatch(/vg_entries_search VIRTUAL TABLE/);

      log.length = 0;
      await store.findByIdempotencyKey('owner-1', 'key-1');
      const idem = log.find((sql) => /idempotency_key =/.test(sql))!;
      expect((db.prepare(`EXPLAIN QUERY PLAN ${idem}`).all() as { detail: string }[])[0]!.detail).toMatch(/INDEX vg_entries_owner_idempotency/);
      log.length = 0;
      await store.findByIdempotencyKey(null, 'key-1');
      const anon = log.find((sql) => /idempotency_key =/.test(sql))!;
      expect((db.prepare(`EXPLAIN QUERY PLAN ${anon}`).all() as { detail: string }[])[0]!.detail).toMatch(/INDEX vg_entries_anonymous_idempotency/);

      log.length = 0;
      await store.listActive();
      const active = log.find((sql) => /status IN/.test(sql))!;
      expect((db.prepare(`EXPLAIN QUERY PLAN ${active}`).all() as { detail: string }[]).map((r) => r.detail).join(' ')).toMatch(/INDEX vg_entries_status_created/);
    });

    it("in 'auto' mode scans small candidate sets and common text, and uses the index for rare text in large ones", async () => {
      const log: string[] = [];
      const db = raw(join(dir, 'search.db'), log);
      const store = createSqliteEntryStore({ database: db });
      const entries: GalleryEntry[] = [];
      for (let i = 0; i < 5100; i++) {
        const owner = i % 100 === 99 ? 'bob' : 'alice';
        const prompt = `Golden SUNSET over hills, take ${i}${i % 1000 === 99 || i % 1000 === 500 ? ' with an axolotl' : ''}`;
        entries.push(makeEntry({ owner, createdAt: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(), request: { prompt } }));
      }
      await store.insertMany(entries);
      const run = async (owner: string | undefined, q: string) => {
        log.length = 0;
        const result = await store.list({ ...(owner === undefined ? {} : { owner }), q, limit: 10 });
        return { total: result.total, index: log.some((sql) => /MATCH/.test(sql)) && log.some((sql) => /json_each/.test(sql)) };
      };
      expect(await run(undefined, 'sunset')).toEqual({ total: 5100, index: false }); // common: scan
      expect(await run(undefined, 'AXOLOTL')).toEqual({ total: 11, index: true }); // rare in 5,100 rows: index
      expect(await run('alice', 'axolotl')).toEqual({ total: 5, index: true }); // 5,049 rows: index
      expect(await run('bob', 'axolotl')).toEqual({ total: 6, index: false }); // 51 rows: scan
      expect(await run(undefined, 'ax')).toEqual({ total: 11, index: false }); // too short for trigrams
      const scan = createSqliteEntryStore({ database: db, searchStrategy: 'scan' });
      const indexed = createSqliteEntryStore({ database: db, searchStrategy: 'index' });
      for (const q of ['sunset', 'take 12', 'axolotl', 'hills, take 1204']) {
        const a = await scan.list({ q, limit: 50 });
        const b = await indexed.list({ q, limit: 50 });
        expect(b.total).toBe(a.total);
        expect(b.items.map((e) => e.id)).toEqual(a.items.map((e) => e.id));
      }
    });
  });
});

describe('better-sqlite3 loading', () => {
  it('explains how to install better-sqlite3 when it is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'better-sqlite3' imported from store.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await expectCode(() => loadBetterSqlite3(() => Promise.reject(missing)), 'unsupported');
    expect(error.message).toMatch(/npm install better-sqlite3/);
    expect(error.cause).toBe(missing);
  });

  it('explains a native addon that was not built', () => {
    const error = explainNativeAddonError(new Error('Could not locate the bindings file. Tried: → build/better_sqlite3.node'));
    expect(GalleryError.isInstance(error)).toBe(true);
    expect((error as GalleryError).message).toMatch(/npm rebuild better-sqlite3/);
    const other = new Error('disk full');
    expect(explainNativeAddonError(other)).toBe(other);
  });

  it('imports better-sqlite3 only lazily (no runtime import in the /sqlite sources)', async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    for (const file of await readdir(here)) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const source = await readFile(join(here, file), 'utf8');
      const staticImports = source.match(/^import\s+(?!type\b)[^;]*from\s+'better-sqlite3'/gm) ?? [];
      expect(staticImports, `${file} imports better-sqlite3 at load time`).toEqual([]);
    }
  });
});
