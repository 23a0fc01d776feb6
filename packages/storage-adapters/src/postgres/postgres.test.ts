import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { GalleryError } from '@video-gallery/core';
import type { GalleryEntry } from '@video-gallery/core';
import { makeEntry, testEntryStore } from '@video-gallery/core/testing';
import {
  createPostgresEntryStore, migratePostgres, postgresNames, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, TRIGRAM_MIGRATION_VERSION,
} from './index.js';
import type { PostgresEntryStore, PostgresEntryStoreOptions } from './index.js';
import { loadPg } from './load.js';
import { likeContains } from './store.js';

// Runs against a real PostgreSQL: a throw-away database `vg_test_<random>` created through the `postgres` (or `test`)
// database on 127.0.0.1:5432 as user postgres and dropped at the end, or the database VG_TEST_DATABASE_URL names
// (then every test works in schemas of its own and drops them). No server → the tests skip loudly, or fail with
// VG_REQUIRE_ALL=1.

const requireAll = process.env.VG_REQUIRE_ALL === '1';
const ADMIN_URLS = ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://postgres@127.0.0.1:5432/test'];

function random(): string {
  return randomBytes(5).toString('hex');
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function tryConnect(url: string): Promise<pg.Client | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return client;
  } catch {
    await client.end().catch(() => {});
    return null;
  }
}

/** Where the tests run: `url` of the test database, `adminUrl` of a database to CREATE / DROP others from. */
let testUrl = '';
let adminUrl: string | null = null;
let createdDatabase: string | null = null;
let unavailable: string | false = false;

if (process.env.VG_TEST_DATABASE_URL) {
  const client = await tryConnect(process.env.VG_TEST_DATABASE_URL);
  if (client) {
    testUrl = process.env.VG_TEST_DATABASE_URL;
    adminUrl = testUrl;
    await client.end();
  } else {
    unavailable = 'VG_TEST_DATABASE_URL is set but no PostgreSQL server answered there';
  }
} else {
  unavailable = `no PostgreSQL server answered at ${ADMIN_URLS.join(' or ')} (start one, or set VG_TEST_DATABASE_URL)`;
  for (const url of ADMIN_URLS) {
    const client = await tryConnect(url);
    if (!client) continue;
    try {
      const name = `vg_test_${random()}`;
      await client.query(`CREATE DATABASE ${name}`);
      createdDatabase = name;
      adminUrl = url;
      testUrl = withDatabase(url, name);
      unavailable = false;
    } catch (error) {
      unavailable = `could not create a test database through ${url}: ${(error as Error).message}`;
    } finally {
      await client.end();
    }
    if (!unavailable) break;
  }
}

if (unavailable && !requireAll) console.warn(`[postgres tests] SKIPPING: ${unavailable}`);
const skip = requireAll ? false : unavailable;

afterAll(async () => {
  if (!createdDatabase || !adminUrl) return;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${createdDatabase} WITH (FORCE)`);
  } finally {
    await client.end();
  }
});

/** One pool to the test database for setup and inspection, created on first use. */
let inspector: pg.Pool | null = null;
function db(): pg.Pool {
  if (unavailable) throw new Error(`PostgreSQL is not available: ${unavailable}`);
  inspector ??= new pg.Pool({ connectionString: testUrl, max: 3 });
  return inspector;
}
afterAll(async () => {
  await inspector?.end();
});

async function dropSchema(schema: string): Promise<void> {
  await db().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

testEntryStore({
  name: 'postgres',
  skip,
  create: async () => {
    const schema = `suite_${random()}`;
    const store = createPostgresEntryStore({ connectionString: testUrl, schema, poolSize: 4 });
    return { store, cleanup: () => dropSchema(schema) };
  },
});

testEntryStore({
  name: "postgres (pool passed in, no table prefix, searchStrategy 'index')",
  skip,
  create: async () => {
    const schema = `suite_${random()}`;
    const pool = new pg.Pool({ connectionString: testUrl, max: 4 });
    const store = createPostgresEntryStore({ pool, schema, tablePrefix: '', searchStrategy: 'index' });
    return {
      store,
      cleanup: async () => {
        await pool.end();
        await dropSchema(schema);
      },
    };
  },
});

async function expectCode(action: () => Promise<unknown>, code: string): Promise<GalleryError> {
  const error = await action().then(
    () => null,
    (e: unknown) => e,
  );
  expect(GalleryError.isInstance(error), `expected GalleryError ${code}, got ${String(error)}`).toBe(true);
  expect((error as GalleryError).code).toBe(code);
  return error as GalleryError;
}

/** A logger that records warnings. */
function recordingLogger(): { warn(message: string): void; messages: string[] } {
  const messages: string[] = [];
  return { messages, warn: (message: string) => void messages.push(message) };
}

describe('likeContains', () => {
  it('escapes the LIKE wildcards and the escape character', () => {
    expect(likeContains('100%')).toBe('%100\\%%');
    expect(likeContains('snake_case')).toBe('%snake\\_case%');
    expect(likeContains('C:\\videos')).toBe('%C:\\\\videos%');
    expect(likeContains('plain')).toBe('%plain%');
  });
});

describe('loading pg', () => {
  it('fails with unsupported and install instructions when pg is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await expectCode(() => loadPg(() => Promise.reject(missing)), 'unsupported');
    expect(error.message).toMatch(/npm install pg/);
  });
});

describe('options', () => {
  it('validates its options with invalid_input', () => {
    const bad: unknown[] = [
      {},
      { connectionString: '' },
      { connectionString: 'postgres://x', pool: {} },
      { connectionString: 'postgres://x', schema: 'bad-schema' },
      { connectionString: 'postgres://x', schema: 'x"; DROP TABLE y; --' },
      { connectionString: 'postgres://x', tablePrefix: 'has space' },
      { connectionString: 'postgres://x', tablePrefix: 'a'.repeat(31) },
      { connectionString: 'postgres://x', poolSize: 0 },
      { connectionString: 'postgres://x', searchStrategy: 'fast' },
      { pool: { notAPool: true } },
    ];
    for (const options of bad) {
      let caught: unknown;
      try {
        createPostgresEntryStore(options as PostgresEntryStoreOptions);
      } catch (error) {
        caught = error;
      }
      expect(GalleryError.isInstance(caught), JSON.stringify(options)).toBe(true);
      expect((caught as GalleryError).code).toBe('invalid_input');
    }
  });

  it('fails with a retryable storage_failed that names the fix when no server answers', async () => {
    const store = createPostgresEntryStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none' });
    const error = await expectCode(() => store.get('x'), 'storage_failed');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/server is running/);
    await store.close();
  });
});

describe.skipIf(skip)('postgres entry store specifics', () => {
  const schemas: string[] = [];
  const stores: PostgresEntryStore[] = [];

  function newSchema(): string {
    const schema = `spec_${random()}`;
    schemas.push(schema);
    return schema;
  }

  function open(options: Partial<PostgresEntryStoreOptions> & { schema: string }): PostgresEntryStore {
    const store = createPostgresEntryStore({ connectionString: testUrl, poolSize: 3, logger: recordingLogger(), ...options } as PostgresEntryStoreOptions);
    stores.push(store);
    return store;
  }

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  describe('migrations', () => {
    it('creates the schema, records every version once, and a re-run is a no-op', async () => {
      const schema = newSchema();
      const store = open({ schema });
      expect(await store.ready()).toEqual({
        from: 0, to: POSTGRES_SCHEMA_VERSION, applied: POSTGRES_MIGRATIONS.map((m) => m.version), skipped: [], trigramIndex: true,
      });
      const entry = makeEntry({ owner: 'alice', request: { prompt: 'Kept across restarts' } });
      await store.insert(entry);
      const recorded = (await db().query(`SELECT version, name, applied_at FROM "${schema}".vg_migrations ORDER BY version`)).rows;
      expect(recorded.map((r: { version: number }) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      await store.close();

      const again = open({ schema });
      expect(await again.ready()).toEqual({ from: POSTGRES_SCHEMA_VERSION, to: POSTGRES_SCHEMA_VERSION, applied: [], skipped: [], trigramIndex: true });
      expect(await again.get(entry.id)).toEqual(entry);
      expect((await again.list({ q: 'ACROSS RESTARTS', limit: 5 })).items.map((e) => e.id)).toEqual([entry.id]);
      expect((await db().query(`SELECT version, name, applied_at FROM "${schema}".vg_migrations ORDER BY version`)).rows).toEqual(recorded);
    });

    it('lets several stores starting at once migrate a new schema exactly once (advisory lock)', async () => {
      const schema = newSchema();
      const racers = Array.from({ length: 4 }, () => open({ schema }));
      const results = await Promise.all(racers.map((store) => store.ready()));
      const appliedBy = results.filter((r) => r.applied.length > 0);
      expect(appliedBy).toHaveLength(1);
      expect(appliedBy[0]!.applied).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      for (const result of results) expect(result.to).toBe(POSTGRES_SCHEMA_VERSION);
      expect((await db().query(`SELECT count(*)::int AS n FROM "${schema}".vg_migrations`)).rows[0].n).toBe(POSTGRES_MIGRATIONS.length);
      // Every store works on the shared schema.
      const entry = makeEntry({ owner: 'alice' });
      await racers[0]!.insert(entry);
      for (const store of racers) expect((await store.get(entry.id))?.id).toBe(entry.id);
    });

    it('rolls back a failing migration run completely and records nothing for it', async () => {
      const schema = newSchema();
      await open({ schema }).ready();
      const client = await db().connect();
      try {
        const broken = [
          ...POSTGRES_MIGRATIONS,
          {
            version: POSTGRES_SCHEMA_VERSION + 1,
            name: 'broken',
            async up(c: pg.ClientBase) {
              await c.query(`CREATE TABLE "${schema}".half_done (x int)`);
              await c.query('SELECT * FROM no_such_table');
              return { applied: true as const };
            },
          },
        ];
        await expect(migratePostgres(client, postgresNames(schema, 'vg_'), broken)).rejects.toThrow(/no_such_table/);
        expect((await client.query(`SELECT to_regclass('"${schema}".half_done') AS t`)).rows[0].t).toBeNull();
        expect((await client.query(`SELECT max(version) AS v FROM "${schema}".vg_migrations`)).rows[0].v).toBe(POSTGRES_SCHEMA_VERSION);
      } finally {
        client.release();
      }
    });

    it('refuses a schema written by a newer release with unsupported', async () => {
      const schema = newSchema();
      await open({ schema }).ready();
      await db().query(`INSERT INTO "${schema}".vg_migrations (version, name) VALUES (999, 'from the future')`);
      const error = await expectCode(() => open({ schema }).get('x'), 'unsupported');
      expect(error.message).toMatch(/version 999/);
    });

    it('keeps stores with different table prefixes in one schema apart', async () => {
      const schema = newSchema();
      const a = open({ schema, tablePrefix: 'a_' });
      const b = open({ schema, tablePrefix: 'b_' });
      await a.insert(makeEntry({ id: 'shared-id' }));
      await b.insert(makeEntry({ id: 'shared-id', request: { prompt: 'other' } }));
      expect((await a.list({ limit: 10 })).total).toBe(1);
      expect((await b.get('shared-id'))?.request.prompt).toBe('other');
      const tables = (await db().query('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [schema])).rows.map((r: { tablename: string }) => r.tablename);
      expect(tables).toEqual(['a_entries', 'a_entry_counts', 'a_migrations', 'b_entries', 'b_entry_counts', 'b_migrations']);
    });
  });

  describe('indexes (EXPLAIN on the statement list() runs)', () => {
    const schema = `explain_${random()}`;
    let store: PostgresEntryStore;
    let owner = '';
    let deepCursor = '';

    beforeAll(async () => {
      store = createPostgresEntryStore({ connectionString: testUrl, schema, poolSize: 2 });
      // 30,000 entries over 50 owners, a rare word in 0.1% of the prompts: enough rows for the planner to prefer indexes.
      const words = ['sunset', 'harbour', 'forest', 'neon city', 'mountain lake', 'desert road', 'night market', 'snowfield'];
      const entries: GalleryEntry[] = [];
      const base = Date.UTC(2025, 0, 1);
      for (let i = 0; i < 30_000; i++) {
        const prompt = i % 1000 === 7 ? `A curious axolotl ${i}` : `Scene ${i} with ${words[i % words.length]} and ${words[(i * 7) % words.length]}`;
        entries.push(makeEntry({
          id: `e${String(i).padStart(6, '0')}`,
          owner: `user-${i % 50}`,
          status: i % 10 === 0 ? 'failed' : 'ready',
          createdAt: new Date(base + i * 60_000).toISOString(),
          request: { prompt },
        }));
      }
      await store.insertMany(entries);
      await db().query(`VACUUM ANALYZE "${schema}".vg_entries`);
      owner = 'user-7';
      let page = await store.list({ limit: 100 });
      for (let i = 0; i < 5; i++) page = await store.list({ limit: 100, cursor: page.nextCursor! });
      deepCursor = page.nextCursor!;
    }, 120_000);

    afterAll(async () => {
      await store?.close();
      if (!skip) await dropSchema(schema);
    });

    it('one owner, newest first: the (owner, created_ms, id) index, no sort of the table', async () => {
      const plan = await store.explain({ owner, limit: 20 });
      expect(plan).toMatch(/Index Scan using vg_entries_owner_created/);
      expect(plan).not.toMatch(/Seq Scan/);
      const oldest = await store.explain({ owner, limit: 20, sort: 'oldest' });
      expect(oldest).toMatch(/Index Scan Backward using vg_entries_owner_created/);
    });

    it('every owner, deep keyset page: the (created_ms, id) index with the cursor as an index condition', async () => {
      const plan = await store.explain({ limit: 20, cursor: deepCursor });
      expect(plan).toMatch(/Index Scan using vg_entries_created on vg_entries[^\n]*\n\s+Index Cond: \(ROW\(created_ms, id\) < ROW\(/);
    });

    it('one owner, unfiltered: the total comes from the counts table, not a count of rows', async () => {
      const plan = await store.explain({ owner, limit: 20 });
      expect(plan).toMatch(/vg_entry_counts/);
      expect(plan).not.toMatch(/Aggregate/);
      expect((await store.list({ owner, limit: 1 })).total).toBe(600);
      expect((await store.list({ limit: 1 })).total).toBe(30_000);
    });

    it("one owner's search (auto): scans that owner's index entries, never the table or the trigram index", async () => {
      const plan = await store.explain({ owner, q: 'sunset', limit: 20 });
      expect(plan).toMatch(/Index Only Scan using vg_entries_owner_created/);
      expect(plan).not.toMatch(/Seq Scan|prompt_trgm/);
    });

    it('one owner filtered by status: the (owner, status, created_ms, id) index', async () => {
      const plan = await store.explain({ owner, status: ['failed'], limit: 20 });
      expect(plan).toMatch(/vg_entries_owner_status_created/);
      expect(plan).not.toMatch(/Seq Scan/);
    });

    it('a rare search across owners: the pg_trgm GIN index, and it finds the right rows', async () => {
      const plan = await store.explain({ q: 'AXOLOTL', limit: 20 });
      expect(plan).toMatch(/Bitmap Index Scan on vg_entries_prompt_trgm/);
      const result = await store.list({ q: 'AXOLOTL', limit: 20 });
      expect(result.total).toBe(30);
      expect(result.items.every((e) => e.request.prompt.includes('axolotl'))).toBe(true);
      const analyzed = await store.explain({ q: 'axolotl', limit: 20 }, { analyze: true });
      expect(analyzed).toMatch(/actual time=/);
    });
  });

  describe('pools', () => {
    it('leaves a pool passed in open on close()', async () => {
      const pool = new pg.Pool({ connectionString: testUrl, max: 2 });
      try {
        const store = createPostgresEntryStore({ pool, schema: newSchema() });
        await store.insert(makeEntry());
        await store.close();
        await store.close();
        expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
        expect(pool.ended).toBe(false);
        await expectCode(() => store.get('x'), 'storage_failed');
      } finally {
        await pool.end();
      }
    });

    it('ends the pool it created on close(): its connections leave the server', async () => {
      const application = `vg_close_${random()}`;
      const url = new URL(testUrl);
      url.searchParams.set('application_name', application);
      const store = createPostgresEntryStore({ connectionString: url.toString(), schema: newSchema(), poolSize: 3 });
      await Promise.all([store.insert(makeEntry()), store.insert(makeEntry()), store.list({ limit: 5 })]);
      const count = async () => (await db().query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [application])).rows[0].n as number;
      expect(await count()).toBeGreaterThan(0);
      await store.close();
      await expect.poll(count, { timeout: 5000, interval: 50 }).toBe(0);
      await expectCode(() => store.get('x'), 'storage_failed');
    });
  });

  describe('counts', () => {
    it('keeps the trigger-maintained totals equal to count(*) through inserts, owner changes, deletes and TRUNCATE', async () => {
      const schema = newSchema();
      const store = open({ schema });
      const check = async () => {
        const actual = new Map<string, number>();
        const rows = (await db().query(`SELECT owner, count(*)::int AS n FROM "${schema}".vg_entries GROUP BY owner`)).rows as { owner: string | null; n: number }[];
        for (const row of rows) actual.set(row.owner === null ? 'n' : `o:${row.owner}`, row.n);
        actual.set('*', rows.reduce((sum, r) => sum + r.n, 0));
        const counted = new Map<string, number>();
        for (const row of (await db().query(`SELECT k, n::int AS n FROM "${schema}".vg_entry_counts WHERE n <> 0`)).rows as { k: string; n: number }[]) counted.set(row.k, row.n);
        if (actual.get('*') === 0) actual.delete('*');
        expect(counted).toEqual(actual);
        for (const owner of ['alice', 'bob', null, undefined]) {
          const total = (await store.list({ limit: 1, ...(owner === undefined ? {} : { owner }) })).total;
          expect(total).toBe(owner === undefined ? actual.get('*') ?? 0 : actual.get(owner === null ? 'n' : `o:${owner}`) ?? 0);
        }
      };
      const entries = [makeEntry({ owner: 'alice' }), makeEntry({ owner: 'alice' }), makeEntry({ owner: 'bob' }), makeEntry({ owner: null })];
      for (const entry of entries) await store.insert(entry);
      await check();
      await store.insertMany(Array.from({ length: 25 }, (_, i) => makeEntry({ owner: i % 2 ? 'bob' : null })));
      await check();
      await store.update(entries[0]!.id, { owner: 'bob' }, { expectVersion: 1 });
      await store.update(entries[2]!.id, { owner: null, caption: 'x' }, { expectVersion: 1 });
      await store.update(entries[3]!.id, { caption: 'same owner' }, { expectVersion: 1 });
      await check();
      await store.delete(entries[1]!.id);
      await store.delete(entries[1]!.id);
      await check();
      await expectCode(() => store.insertMany([makeEntry({ owner: 'carol' }), { ...makeEntry(), id: entries[0]!.id }]), 'conflict');
      await check();
      await db().query(`TRUNCATE "${schema}".vg_entries`);
      await check();
      await store.insert(makeEntry({ owner: 'alice' }));
      await check();
    });
  });

  describe('data', () => {
    it('refuses NUL characters in id / owner / idempotency key with invalid_input, and searches prompts holding one', async () => {
      const store = open({ schema: newSchema() });
      const error = await expectCode(() => store.insert(makeEntry({ owner: 'a\u0000b' })), 'invalid_input');
      expect(error.field).toBe('owner');
      const entry = makeEntry({ request: { prompt: 'before\u0000after' }, caption: 'nul \u0000 inside' });
      await store.insert(entry);
      expect(await store.get(entry.id)).toEqual(entry);
      expect((await store.list({ q: 'e\u0000a', limit: 5 })).total).toBe(1);
    });
  });
});

describe.skipIf(skip)('postgres without the pg_trgm privilege', () => {
  const suffix = random();
  const database = `vg_test_noext_${suffix}`;
  const role = `vg_noext_${suffix}`;
  const dmlRole = `vg_dml_${suffix}`;
  let admin: pg.Client | null = null;
  let noPrivilege: string | false = false;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: adminUrl! });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      const setup = new pg.Client({ connectionString: withDatabase(adminUrl!, database) });
      await setup.connect();
      // The role may create tables in public but not extensions (no CREATE on the database).
      await setup.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${role}`);
      await setup.end();
    } catch (error) {
      noPrivilege = `cannot create a database and a role here: ${(error as Error).message}`;
    }
  });

  afterAll(async () => {
    if (!admin) return;
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await admin.query(`DROP ROLE IF EXISTS ${dmlRole}`).catch(() => {});
    await admin.end();
  });

  it('falls back to a scan with a logged warning, adds the index once the extension exists, then runs with DML privileges only', async () => {
    if (noPrivilege) {
      if (requireAll) throw new Error(noPrivilege);
      console.warn(`[postgres tests] SKIPPING the pg_trgm fallback test: ${noPrivilege}`);
      return;
    }
    const url = new URL(withDatabase(adminUrl!, database));
    url.username = role;
    const logger = recordingLogger();
    const store = createPostgresEntryStore({ connectionString: url.toString(), logger });
    const result = await store.ready();
    const required = POSTGRES_MIGRATIONS.filter((m) => !m.optional).map((m) => m.version);
    expect(result.applied).toEqual(required);
    expect(result.trigramIndex).toBe(false);
    expect(result.skipped.map((s) => s.version)).toEqual([TRIGRAM_MIGRATION_VERSION]);
    expect(result.skipped[0]!.reason).toMatch(/permission denied/);
    expect(logger.messages.join('\n')).toMatch(/pg_trgm.*scan|scan.*pg_trgm/s);
    await store.insert(makeEntry({ request: { prompt: 'A rare AXOLOTL' } }));
    await store.insert(makeEntry({ request: { prompt: 'Something else' } }));
    expect((await store.list({ q: 'axolotl', limit: 5 })).total).toBe(1);
    expect(await store.explain({ q: 'axolotl', limit: 5 })).not.toMatch(/prompt_trgm/);
    await store.close();

    // A superuser installs the extension; the next start applies the skipped step.
    const setup = new pg.Client({ connectionString: withDatabase(adminUrl!, database) });
    await setup.connect();
    await setup.query('CREATE EXTENSION pg_trgm');
    await setup.end();
    const later = createPostgresEntryStore({ connectionString: url.toString(), logger: recordingLogger() });
    expect(await later.ready()).toMatchObject({
      from: Math.max(...required), to: POSTGRES_SCHEMA_VERSION, applied: [TRIGRAM_MIGRATION_VERSION], skipped: [], trigramIndex: true,
    });
    expect((await later.list({ q: 'AXOLOTL', limit: 5 })).total).toBe(1);
    await later.close();

    // Once migrated, a role with only SELECT / INSERT / UPDATE / DELETE (no CREATE anywhere) runs the store.
    const grant = new pg.Client({ connectionString: withDatabase(adminUrl!, database) });
    await grant.connect();
    await grant.query(`CREATE ROLE ${dmlRole} LOGIN`);
    await grant.query(`GRANT USAGE ON SCHEMA public TO ${dmlRole}`);
    await grant.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON vg_entries, vg_entry_counts, vg_migrations TO ${dmlRole}`);
    await grant.end();
    const dmlUrl = new URL(url);
    dmlUrl.username = dmlRole;
    const dml = createPostgresEntryStore({ connectionString: dmlUrl.toString(), logger: recordingLogger() });
    expect(await dml.ready()).toMatchObject({ applied: [], skipped: [], trigramIndex: true });
    const entry = makeEntry({ owner: 'dml' });
    await dml.insert(entry);
    await dml.update(entry.id, { caption: 'ok' }, { expectVersion: 1 });
    expect((await dml.list({ owner: 'dml', limit: 5 })).total).toBe(1);
    await dml.delete(entry.id);
    expect((await dml.list({ owner: 'dml', limit: 5 })).total).toBe(0);
    await dml.close();
  });
});
