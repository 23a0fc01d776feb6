import {
  ACTIVE_STATUSES, GalleryError, applyEntryPatch, assertExpectVersion, assertValidEntry, createdAtMs, encodeListCursor,
  entryNotFound, foldSearchText, normalizeListQuery, versionConflict,
} from '@video-gallery/core';
import type { EntryStore, GalleryEntry, ListQuery, ListResult, Logger, NormalizedListQuery } from '@video-gallery/core';
import type { Pool, PoolClient } from 'pg';
import { loadPg } from './load.js';
import { migratePostgres, postgresNames } from './migrations.js';
import type { PostgresMigrationResult, PostgresNames } from './migrations.js';

/** How `list` finds the prompts that contain `q`. */
export type PostgresSearchStrategy = 'auto' | 'index' | 'scan';

interface CommonOptions {
  /**
   * How a search (`q`) finds rows. `'auto'` (default): within one owner's entries (`owner` a string), scan their
   * prompts in the owner index; otherwise `LIKE` on the folded prompt, which the planner may answer from the
   * `pg_trgm` index. `'index'`: always `LIKE` (the index when the planner wants it). `'scan'`: never the trigram
   * index. Results are the same in every mode; only speed differs.
   */
  searchStrategy?: PostgresSearchStrategy;
  /**
   * Schema holding the tables. Created on first use when missing (that needs the `CREATE` privilege on the
   * database). Letters, digits, `_` and `$`, starting with a letter or `_`. Default: `'public'`.
   */
  schema?: string;
  /**
   * Prefix of every table and index name, so the store can share a schema with your tables: `vg_entries`,
   * `vg_migrations`, `vg_entries_created`, ... Letters, digits and `_`, at most 30 characters; `''` for none.
   * Default: `'vg_'`.
   */
  tablePrefix?: string;
  /** Where warnings go (for example "pg_trgm is unavailable, search scans"). Default: `console`. */
  logger?: Logger;
  /** Clock for `updatedAt` on updates. Default: `() => new Date()`. */
  now?: () => Date;
}

/**
 * Options of {@link createPostgresEntryStore}: a `pg.Pool` you own, or a connection string for a pool the store
 * creates (and ends in `close()`).
 */
export type PostgresEntryStoreOptions =
  | (CommonOptions & {
      /** A `pg.Pool` (pg 8). The store borrows clients from it and never ends it: that stays your job. */
      pool: Pool;
      connectionString?: never;
      poolSize?: never;
    })
  | (CommonOptions & {
      /** A `postgres://user:password@host:5432/database` URL. The store creates a pool on first use and ends it in `close()`. */
      connectionString: string;
      /** Most connections the created pool opens. Default: `10`. */
      poolSize?: number;
      pool?: never;
    });

/** The Postgres entry store: the `EntryStore` contract plus a few Postgres extras. */
export interface PostgresEntryStore extends EntryStore {
  readonly name: 'postgres';
  /** Connects and runs pending migrations now instead of on first use; resolves with what was migrated. */
  ready(): Promise<PostgresMigrationResult>;
  /**
   * Inserts many entries in one transaction with multi-row `INSERT`s: all or none (a duplicate id or owner +
   * idempotency key rejects the batch with `conflict`).
   */
  insertMany(entries: readonly GalleryEntry[]): Promise<void>;
  /**
   * The query plan (`EXPLAIN`, or `EXPLAIN ANALYZE` with `analyze: true`) of the one statement `list(query)` runs,
   * as text: to check which indexes a query uses on your data.
   */
  explain(query: ListQuery, options?: { analyze?: boolean }): Promise<string>;
  /** Ends the pool if the store created it (a `connectionString`). Idempotent; later calls fail with `storage_failed`. */
  close(): Promise<void>;
}

/** Rows per multi-row INSERT in `insertMany` (10 parameters each, far below the 65,535 limit). */
const INSERT_CHUNK = 1000;
const COLUMNS = '(id, owner, status, favorite, visibility, created_ms, idempotency_key, version, prompt_folded, data)';
const ACTIVE = [...ACTIVE_STATUSES];
const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const PREFIX_PATTERN = /^(?:[A-Za-z_][A-Za-z0-9_]{0,29})?$/;

/** SQLSTATE classes / codes and socket errors worth retrying. */
const TRANSIENT = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

interface Connection {
  pool: Pool;
  owned: boolean;
  migration: PostgresMigrationResult;
}

interface DataRow {
  data: GalleryEntry;
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function invalidOption(field: string, message: string): never {
  throw new GalleryError('invalid_input', `createPostgresEntryStore: ${message}`, { field, retryable: false });
}

/** Postgres text cannot hold U+0000; the prompt is stored folded, so NUL is replaced there (and in search text). */
function pgFold(text: string): string {
  return foldSearchText(text).replace(/\u0000/g, '\uFFFD');
}

/** `%text%` for LIKE, with the LIKE wildcards `%` and `_` and the escape character `\` escaped: a literal substring. */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function assertStorableText(entry: GalleryEntry): void {
  for (const field of ['id', 'owner', 'idempotencyKey'] as const) {
    const value = entry[field];
    if (typeof value === 'string' && value.includes('\u0000')) {
      throw new GalleryError('invalid_input', `${field}: contains a NUL character (U+0000), which PostgreSQL text cannot store.`, { field, retryable: false });
    }
  }
}

/** Parameters of one row, in COLUMNS order. */
function rowValues(entry: GalleryEntry, data: string = JSON.stringify(entry)): unknown[] {
  return [
    entry.id,
    entry.owner,
    entry.status,
    entry.favorite,
    entry.visibility,
    createdAtMs(entry),
    entry.idempotencyKey,
    entry.version,
    pgFold(entry.request.prompt),
    data,
  ];
}

function placeholders(rows: number, columns: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${r * columns + c}`);
    out.push(`(${cells.join(', ')})`);
  }
  return out.join(', ');
}

class PostgresEntryStoreImpl implements PostgresEntryStore {
  readonly name = 'postgres' as const;
  readonly #options: PostgresEntryStoreOptions;
  readonly #names: PostgresNames;
  readonly #now: () => Date;
  readonly #logger: Logger;
  #opening: Promise<Connection> | null = null;
  #connection: Connection | null = null;
  #closed = false;

  constructor(options: PostgresEntryStoreOptions) {
    if (typeof options !== 'object' || options === null) invalidOption('options', 'pass { connectionString: "postgres://..." } or { pool } (a pg.Pool).');
    const hasPool = options.pool !== undefined;
    const hasUrl = options.connectionString !== undefined;
    if (hasPool === hasUrl) invalidOption('options', 'pass exactly one of { connectionString: "postgres://..." } or { pool } (a pg.Pool).');
    if (hasPool && (typeof options.pool !== 'object' || options.pool === null || typeof (options.pool as Pool).connect !== 'function')) {
      invalidOption('pool', '`pool` must be a pg.Pool (pg 8).');
    }
    if (hasUrl && (typeof options.connectionString !== 'string' || options.connectionString === '')) {
      invalidOption('connectionString', 'connectionString must be a non-empty postgres:// URL.');
    }
    if (options.poolSize !== undefined && (!Number.isInteger(options.poolSize) || options.poolSize < 1)) {
      invalidOption('poolSize', `poolSize must be a positive integer, got ${String(options.poolSize)}.`);
    }
    const schema = options.schema ?? 'public';
    if (typeof schema !== 'string' || !SCHEMA_PATTERN.test(schema)) {
      invalidOption('schema', `schema must be an identifier of letters, digits, '_' and '$' (at most 63 characters) starting with a letter or '_', got ${JSON.stringify(schema)}.`);
    }
    const prefix = options.tablePrefix ?? 'vg_';
    if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
      invalidOption('tablePrefix', `tablePrefix must be '' or letters, digits and '_' (at most 30 characters) starting with a letter or '_', got ${JSON.stringify(prefix)}.`);
    }
    const strategy = options.searchStrategy ?? 'auto';
    if (strategy !== 'auto' && strategy !== 'index' && strategy !== 'scan') {
      invalidOption('searchStrategy', `searchStrategy must be 'auto', 'index' or 'scan', got ${JSON.stringify(strategy)}.`);
    }
    this.#options = options;
    this.#names = postgresNames(schema, prefix);
    this.#now = options.now ?? (() => new Date());
    this.#logger = options.logger ?? { warn: (message, details) => console.warn(message, ...(details ? [details] : [])) };
  }

  async ready(): Promise<PostgresMigrationResult> {
    return (await this.#connect()).migration;
  }

  async #connect(): Promise<Connection> {
    if (this.#closed) {
      throw new GalleryError('storage_failed', 'The Postgres entry store is closed. Create a new store to use the database again.', { retryable: false });
    }
    if (this.#connection) return this.#connection;
    this.#opening ??= this.#open().then(
      (connection) => {
        this.#connection = connection;
        return connection;
      },
      (error: unknown) => {
        this.#opening = null; // a later call tries again (for example once the server is up)
        throw error;
      },
    );
    return this.#opening;
  }

  async #open(): Promise<Connection> {
    const options = this.#options;
    let pool: Pool;
    let owned: boolean;
    if (options.pool !== undefined) {
      pool = options.pool;
      owned = false;
    } else {
      const pg = await loadPg();
      pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10, connectionTimeoutMillis: 10_000 });
      // An idle client losing its connection emits 'error' on the pool; unhandled, that would end the process.
      // After close() the server may still terminate a connection that is shutting down: not worth a warning.
      pool.on('error', (error) => {
        if (!this.#closed) this.#logger.warn(`Postgres entry store: an idle connection failed: ${error.message}`);
      });
      owned = true;
    }
    try {
      const migration = await this.#withClient('migrate', (client) => migratePostgres(client, this.#names), pool);
      for (const skip of migration.skipped) {
        this.#logger.warn(
          `Postgres entry store: migration ${skip.version} (${skip.name}) was skipped: ${skip.reason}. Searches (q) still work but scan the ` +
            'matching rows instead of using a trigram index. To enable the index, let the role create the extension (CREATE privilege on the ' +
            'database; pg_trgm is a trusted extension) or run `CREATE EXTENSION pg_trgm;` as a superuser; the step is retried on the next start.',
          { version: skip.version, reason: skip.reason },
        );
      }
      return { pool, owned, migration };
    } catch (error) {
      if (owned) await pool.end().catch(() => {});
      throw error;
    }
  }

  #failure(operation: string, error: unknown): GalleryError {
    if (GalleryError.isInstance(error)) return error;
    const code = sqlState(error) ?? '';
    const message = (error as Error)?.message ?? String(error);
    let hint = '';
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '3D000' || code === '28P01' || code === '28000') {
      hint = ' Check that the server is running and that the connection string (host, port, database, user, password) is right.';
    } else if (code === '42501') {
      hint = ` The role needs USAGE and CREATE on schema ${JSON.stringify(this.#names.schema)} (CREATE on the database too when the schema does not exist yet).`;
    }
    return new GalleryError('storage_failed', `Postgres entry store: ${operation} failed: ${message}.${hint}`, {
      cause: error,
      retryable: TRANSIENT.has(code) || /timeout|terminat/i.test(message),
    });
  }

  async #withClient<T>(operation: string, fn: (client: PoolClient) => Promise<T>, pool?: Pool): Promise<T> {
    const source = pool ?? (await this.#connect()).pool;
    let client: PoolClient;
    try {
      client = await source.connect();
    } catch (error) {
      throw this.#failure(operation, error);
    }
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (error) {
      // A connection-level failure must not go back to the pool.
      const serverError = typeof (error as { severity?: unknown } | null)?.severity === 'string';
      if (!GalleryError.isInstance(error) && !serverError) broken = error instanceof Error ? error : new Error(String(error));
      throw this.#failure(operation, error);
    } finally {
      client.release(broken);
    }
  }

  /** Runs one statement on the pool. */
  async #query<R extends object>(operation: string, sql: string, params: unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    const { pool } = await this.#connect();
    try {
      const result = await pool.query(sql, params);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw this.#failure(operation, error);
    }
  }

  /** `conflict` for a unique violation of the id or an idempotency index, else `error` unchanged. */
  #conflictOr(error: unknown, entry: GalleryEntry | null): unknown {
    const cause = GalleryError.isInstance(error) ? error.cause : error;
    if (sqlState(cause) !== '23505') return error;
    const constraint = String((cause as { constraint?: unknown }).constraint ?? '');
    const idempotency = constraint.endsWith('idempotency');
    const text = entry === null
      ? 'One of the entries has an id, or an owner + idempotency key, that exists already or appears twice in the batch.'
      : idempotency
        ? `Owner ${JSON.stringify(entry.owner)} already has an entry with idempotency key ${JSON.stringify(entry.idempotencyKey)}.`
        : `An entry with id ${JSON.stringify(entry.id)} exists already.`;
    return new GalleryError('conflict', text, { retryable: false, cause });
  }

  async insert(entry: GalleryEntry): Promise<void> {
    assertValidEntry(entry);
    assertStorableText(entry);
    try {
      await this.#query('insert', `INSERT INTO ${this.#names.entries} ${COLUMNS} VALUES ${placeholders(1, 10)}`, rowValues(entry));
    } catch (error) {
      throw this.#conflictOr(error, entry);
    }
  }

  async insertMany(entries: readonly GalleryEntry[]): Promise<void> {
    for (const entry of entries) {
      assertValidEntry(entry);
      assertStorableText(entry);
    }
    if (entries.length === 0) return;
    try {
      await this.#withClient('insertMany', async (client) => {
        await client.query('BEGIN');
        try {
          for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
            const batch = entries.slice(i, i + INSERT_CHUNK);
            await client.query(`INSERT INTO ${this.#names.entries} ${COLUMNS} VALUES ${placeholders(batch.length, 10)}`, batch.flatMap((e) => rowValues(e)));
          }
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      });
    } catch (error) {
      throw this.#conflictOr(error, entries.length === 1 ? entries[0]! : null);
    }
  }

  async get(id: string): Promise<GalleryEntry | null> {
    const { rows } = await this.#query<DataRow>('get', `SELECT data FROM ${this.#names.entries} WHERE id = $1`, [id]);
    return rows[0]?.data ?? null;
  }

  async update(id: string, patch: Partial<GalleryEntry>, options: { expectVersion: number }): Promise<GalleryEntry> {
    const expected = assertExpectVersion(options);
    const table = this.#names.entries;
    const { rows } = await this.#query<DataRow & { version: string }>('update', `SELECT data, version FROM ${table} WHERE id = $1`, [id]);
    const row = rows[0];
    if (!row) return entryNotFound(id);
    if (Number(row.version) !== expected) return versionConflict(id, expected, Number(row.version));
    const next = applyEntryPatch(row.data, patch, this.#now());
    assertStorableText(next);
    const data = JSON.stringify(next);
    let changed: number;
    try {
      // The version guard makes the write optimistic without holding a lock across the read: of two writers that
      // read the same version, the second one's UPDATE re-checks the row after the first commits and matches nothing.
      ({ rowCount: changed } = await this.#query(
        'update',
        `UPDATE ${table} SET owner = $2, status = $3, favorite = $4, visibility = $5, created_ms = $6, idempotency_key = $7, version = $8,
           prompt_folded = $9, data = $10 WHERE id = $1 AND version = $11`,
        [...rowValues(next, data), expected],
      ));
    } catch (error) {
      throw this.#conflictOr(error, next);
    }
    if (changed !== 1) {
      const now = await this.#query<{ version: string }>('update', `SELECT version FROM ${table} WHERE id = $1`, [id]);
      if (!now.rows[0]) return entryNotFound(id);
      return versionConflict(id, expected, Number(now.rows[0].version));
    }
    return JSON.parse(data) as GalleryEntry;
  }

  async delete(id: string): Promise<void> {
    await this.#query('delete', `DELETE FROM ${this.#names.entries} WHERE id = $1`, [id]);
  }

  async findByIdempotencyKey(owner: string | null, key: string): Promise<GalleryEntry | null> {
    const table = this.#names.entries;
    const { rows } = owner === null
      ? await this.#query<DataRow>('findByIdempotencyKey', `SELECT data FROM ${table} WHERE owner IS NULL AND idempotency_key = $1`, [key])
      : await this.#query<DataRow>('findByIdempotencyKey', `SELECT data FROM ${table} WHERE owner = $1 AND idempotency_key = $2`, [owner, key]);
    return rows[0]?.data ?? null;
  }

  async listActive(): Promise<GalleryEntry[]> {
    const { rows } = await this.#query<DataRow>(
      'listActive',
      `SELECT data FROM ${this.#names.entries} WHERE status = ANY($1::text[]) ORDER BY created_ms, id`,
      [ACTIVE],
    );
    return rows.map((row) => row.data);
  }

  /**
   * The single statement a list runs: the count of every match (`total`) and the page, in one snapshot. The page is
   * a keyset scan: `(created_ms, id)` after the cursor position, in index order.
   */
  #listStatement(q: NormalizedListQuery): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (q.owner === null) where.push('owner IS NULL');
    else if (q.owner !== undefined) where.push(`owner = ${param(q.owner)}`);
    if (q.status !== undefined) where.push(q.status.length === 1 ? `status = ${param(q.status[0])}` : `status = ANY(${param(q.status)}::text[])`);
    if (q.favorite !== undefined) where.push(`favorite = ${param(q.favorite)}`);
    if (q.visibility !== undefined) where.push(`visibility = ${param(q.visibility)}`);
    if (q.q !== undefined) {
      const text = q.q.replace(/\u0000/g, '\uFFFD');
      const strategy = this.#options.searchStrategy ?? 'auto';
      // LIKE with escaped wildcards is a literal substring test, and the form the trigram index serves. strpos() is
      // the same test in a form no index serves: one owner's gallery is cheaper to scan (in the owner index, which
      // holds prompt_folded) than to intersect with the trigram index for a common word.
      const index = strategy === 'index' || (strategy === 'auto' && typeof q.owner !== 'string');
      where.push(index ? `prompt_folded LIKE ${param(likeContains(text))}` : `strpos(prompt_folded, ${param(text)}) > 0`);
    }
    // Without filters other than the owner, the total is kept by triggers in <prefix>entry_counts.
    const counted = q.status === undefined && q.favorite === undefined && q.visibility === undefined && q.q === undefined;
    const countKey = q.owner === undefined ? '*' : q.owner === null ? 'n' : `o:${q.owner}`;
    const pageWhere = [...where];
    const newest = q.sort === 'newest';
    if (q.after) pageWhere.push(`(created_ms, id) ${newest ? '<' : '>'} (${param(q.after.createdMs)}::bigint, ${param(q.after.id)}::text)`);
    const dir = newest ? 'DESC' : 'ASC';
    const clause = (parts: string[]) => (parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '');
    const table = this.#names.entries;
    const totalSql = counted
      ? `SELECT COALESCE((SELECT n FROM ${this.#names.counts} WHERE k = ${param(countKey)}), 0) AS total`
      : `SELECT count(*) AS total FROM ${table} ${clause(where)}`;
    const sql =
      `SELECT t.total, p.id, p.created_ms, p.data FROM (${totalSql}) t ` +
      `LEFT JOIN LATERAL (SELECT id, created_ms, data FROM ${table} ${clause(pageWhere)} ORDER BY created_ms ${dir}, id ${dir} LIMIT ${param(q.limit + 1)}) p ON true ` +
      `ORDER BY p.created_ms ${dir}, p.id ${dir}`;
    return { sql, params };
  }

  async list(query: ListQuery): Promise<ListResult> {
    const q = normalizeListQuery(query);
    if (q.status !== undefined && q.status.length === 0) return { items: [], total: 0, nextCursor: null };
    const { sql, params } = this.#listStatement(q);
    const { rows } = await this.#query<{ total: string; id: string | null; created_ms: string | null; data: GalleryEntry | null }>('list', sql, params);
    const total = Number(rows[0]?.total ?? 0);
    const page = rows.filter((row) => row.id !== null);
    const more = page.length > q.limit;
    if (more) page.length = q.limit;
    const last = page[page.length - 1];
    return {
      items: page.map((row) => row.data!),
      total,
      nextCursor: more && last ? encodeListCursor({ sort: q.sort, createdMs: Number(last.created_ms), id: last.id! }) : null,
    };
  }

  async explain(query: ListQuery, options: { analyze?: boolean } = {}): Promise<string> {
    const q = normalizeListQuery(query);
    const { sql, params } = this.#listStatement(q);
    const { rows } = await this.#query<{ 'QUERY PLAN': string }>('explain', `EXPLAIN ${options.analyze ? '(ANALYZE, BUFFERS) ' : ''}${sql}`, params);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = null;
    let connection = this.#connection;
    if (!connection && opening) connection = await opening.catch(() => null);
    this.#connection = null;
    if (connection?.owned) await connection.pool.end();
  }
}

/**
 * An `EntryStore` on PostgreSQL through `pg` (an optional peer dependency, loaded on first use). Name `'postgres'`.
 * On first use it migrates the schema forward (versions recorded in `<prefix>migrations`, under an advisory lock so
 * several processes may start at once) and creates the `pg_trgm` search index when the role may. Entries are stored
 * as JSON with indexed columns for owner, status, favorite, visibility, creation time and idempotency key; lists use
 * keyset pagination with the shared cursors; updates are optimistic (`WHERE version = expectVersion`).
 *
 * @example
 * import { createPostgresEntryStore } from '@video-gallery/storage-adapters/postgres';
 * const store = createPostgresEntryStore({ connectionString: process.env.DATABASE_URL! });
 * const page = await store.list({ owner: 'user-1', q: 'sunset', limit: 20 });
 * await store.close();
 */
export function createPostgresEntryStore(options: PostgresEntryStoreOptions): PostgresEntryStore {
  return new PostgresEntryStoreImpl(options);
}
