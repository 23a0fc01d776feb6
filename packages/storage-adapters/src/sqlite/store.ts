import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  ACTIVE_STATUSES, GalleryError, applyEntryPatch, assertExpectVersion, assertValidEntry, createdAtMs, encodeListCursor,
  entryNotFound, foldSearchText, normalizeListQuery, versionConflict,
} from '@video-gallery/core';
import type { EntryStore, GalleryEntry, ListQuery, ListResult, NormalizedListQuery } from '@video-gallery/core';
import type Database from 'better-sqlite3';
import { explainNativeAddonError, loadBetterSqlite3 } from './load.js';
import { migrateSqlite } from './migrations.js';
import type { MigrationResult } from './migrations.js';

/** How `list` runs a prompt search (`q`). */
export type SqliteSearchStrategy = 'auto' | 'index' | 'scan';

interface CommonOptions {
  /** How long a write waits for another connection's lock before failing, in ms (`PRAGMA busy_timeout`). Default: `5000`. */
  busyTimeoutMs?: number;
  /** Switch the database to write-ahead logging (`PRAGMA journal_mode = WAL`) so readers never block the writer. Default: `true`. */
  wal?: boolean;
  /**
   * Page cache of the connection, in MiB (`PRAGMA cache_size`). Default: `32` for a file the store opens; a
   * `database` you pass keeps its own setting unless you set this.
   */
  cacheSizeMiB?: number;
  /**
   * How a search (`q`) finds rows. `'auto'` (default): when the other filters leave at most 5,000 rows (for example
   * one owner's gallery), scan those rows' prompts in the list index; otherwise ask the trigram index, and use its
   * answer when fewer than 1,000 prompts contain the text, else scan. `'index'`: always the trigram index for text of
   * 3+ characters. `'scan'`: never the trigram index. Results are the same in every mode; only speed differs.
   */
  searchStrategy?: SqliteSearchStrategy;
  /** Clock for `updatedAt` on updates. Default: `() => new Date()`. */
  now?: () => Date;
}

/** Options of {@link createSqliteEntryStore}: a file to open, or a database you opened yourself. */
export type SqliteEntryStoreOptions =
  | (CommonOptions & {
      /**
       * Path of the database file (created with its parent directories when missing), or `':memory:'`.
       * The store opens it on first use and closes it in `close()`.
       */
      filename: string;
    })
  | (CommonOptions & {
      /** An open better-sqlite3 database. The store uses it as is and does not close it: that stays your job. */
      database: Database.Database;
    });

/** The SQLite entry store: the `EntryStore` contract plus a few SQLite extras. */
export interface SqliteEntryStore extends EntryStore {
  readonly name: 'sqlite';
  /** Opens the database and runs pending migrations now instead of on first use; resolves with what was migrated. */
  ready(): Promise<MigrationResult>;
  /** Inserts many entries in one transaction: all or none (a duplicate id or idempotency key rejects the batch with `conflict`). */
  insertMany(entries: readonly GalleryEntry[]): Promise<void>;
  /** Closes the database if the store opened it (a `filename`). Idempotent; later calls fail with `storage_failed`. */
  close(): Promise<void>;
}

/** In `'auto'` mode, a search over at most this many rows (after the other filters) scans them. */
const SCAN_MAX_ROWS = 5000;
/** In `'auto'` mode, the trigram index answers a search when fewer prompts than this contain the text. */
const INDEX_MAX_MATCHES = 1000;
/** Rows per multi-row INSERT in `insertMany` (10 columns each, well under SQLite's 32,766 variables). */
const INSERT_CHUNK = 200;
const INSERT_COLUMNS = '(id, owner, status, favorite, visibility, created_at_ms, idempotency_key, version, prompt_folded, data)';
const ACTIVE = [...ACTIVE_STATUSES];

interface EntryRow {
  data: string;
}

interface Connection {
  db: Database.Database;
  owned: boolean;
  migration: MigrationResult;
  statements: Map<string, Database.Statement<unknown[], unknown>>;
}

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Values of every column but `id`, in INSERT_COLUMNS order after `id`. */
function columnValues(entry: GalleryEntry): unknown[] {
  return [
    entry.owner,
    entry.status,
    entry.favorite ? 1 : 0,
    entry.visibility,
    createdAtMs(entry),
    entry.idempotencyKey,
    entry.version,
    foldSearchText(entry.request.prompt),
    JSON.stringify(entry),
  ];
}

/** `"…"` as an FTS5 string: a phrase matched literally by the trigram tokenizer. */
function ftsPhrase(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

class SqliteEntryStoreImpl implements SqliteEntryStore {
  readonly name = 'sqlite' as const;
  readonly #options: SqliteEntryStoreOptions;
  readonly #now: () => Date;
  #opening: Promise<Connection> | null = null;
  #connection: Connection | null = null;
  #closed = false;

  constructor(options: SqliteEntryStoreOptions) {
    if (typeof options !== 'object' || options === null || (!('filename' in options) && !('database' in options))) {
      throw new GalleryError('invalid_input', 'createSqliteEntryStore: pass { filename: "path/to/gallery.db" } or { database } (an open better-sqlite3 Database).', {
        field: 'options',
        retryable: false,
      });
    }
    if ('filename' in options && (typeof options.filename !== 'string' || options.filename === '')) {
      throw new GalleryError('invalid_input', 'createSqliteEntryStore: filename must be a non-empty path or ":memory:".', { field: 'filename', retryable: false });
    }
    const strategy = options.searchStrategy ?? 'auto';
    if (strategy !== 'auto' && strategy !== 'index' && strategy !== 'scan') {
      throw new GalleryError('invalid_input', `createSqliteEntryStore: searchStrategy must be 'auto', 'index' or 'scan', got ${JSON.stringify(strategy)}.`, {
        field: 'searchStrategy',
        retryable: false,
      });
    }
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  async ready(): Promise<MigrationResult> {
    return (await this.#connect()).migration;
  }

  async #connect(): Promise<Connection> {
    if (this.#closed) {
      throw new GalleryError('storage_failed', 'The SQLite entry store is closed. Create a new store to use the database again.', { retryable: false });
    }
    if (this.#connection) return this.#connection;
    this.#opening ??= this.#open().then(
      (connection) => {
        this.#connection = connection;
        return connection;
      },
      (error: unknown) => {
        this.#opening = null; // let a later call try again (for example once a lock is released)
        throw error;
      },
    );
    return this.#opening;
  }

  async #open(): Promise<Connection> {
    const options = this.#options;
    let db: Database.Database;
    let owned: boolean;
    if ('database' in options) {
      db = options.database;
      owned = false;
      if (!db || typeof db.prepare !== 'function' || !db.open) {
        throw new GalleryError('invalid_input', 'createSqliteEntryStore: `database` must be an open better-sqlite3 Database.', { field: 'database', retryable: false });
      }
    } else {
      const Sqlite = await loadBetterSqlite3();
      const { filename } = options;
      if (filename !== ':memory:' && !filename.startsWith('file:')) mkdirSync(dirname(resolve(filename)), { recursive: true });
      try {
        db = new Sqlite(filename, { timeout: options.busyTimeoutMs ?? 5000 });
      } catch (error) {
        const explained = explainNativeAddonError(error);
        if (explained !== error) throw explained;
        throw new GalleryError('storage_failed', `Could not open the SQLite database ${JSON.stringify(filename)}: ${(error as Error).message}`, {
          cause: error,
          retryable: false,
        });
      }
      owned = true;
    }
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      const cacheMiB = options.cacheSizeMiB ?? (owned ? 32 : undefined);
      if (cacheMiB !== undefined) db.pragma(`cache_size = ${-Math.max(1, Math.floor(cacheMiB * 1024))}`);
      if (options.wal ?? true) db.pragma('journal_mode = WAL');
      const migration = migrateSqlite(db);
      return { db, owned, migration, statements: new Map() };
    } catch (error) {
      if (owned) db.close();
      if (GalleryError.isInstance(error)) throw error;
      throw new GalleryError('storage_failed', `Could not prepare the SQLite entry store schema: ${(error as Error).message}`, { cause: error, retryable: false });
    }
  }

  /** Runs `fn` on the open connection, turning driver errors into `GalleryError`s. */
  async #run<T>(operation: string, fn: (connection: Connection) => T): Promise<T> {
    const connection = await this.#connect();
    try {
      return fn(connection);
    } catch (error) {
      if (GalleryError.isInstance(error)) throw error;
      const code = sqliteCode(error);
      const busy = code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
      throw new GalleryError(
        'storage_failed',
        `SQLite entry store: ${operation} failed: ${(error as Error)?.message ?? String(error)}${busy ? ' (the database stayed locked by another connection longer than busyTimeoutMs)' : ''}`,
        { cause: error, retryable: busy },
      );
    }
  }

  #statement(connection: Connection, sql: string): Database.Statement<unknown[], unknown> {
    let statement = connection.statements.get(sql);
    if (!statement) {
      statement = connection.db.prepare<unknown[], unknown>(sql);
      connection.statements.set(sql, statement);
    }
    return statement;
  }

  /** Inserts rows with one statement, mapping unique-constraint failures to `conflict`. */
  #insertRows(connection: Connection, entries: readonly GalleryEntry[]): void {
    const params: unknown[] = [];
    for (const entry of entries) params.push(entry.id, ...columnValues(entry));
    const sql = `INSERT INTO vg_entries ${INSERT_COLUMNS} VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
    try {
      this.#statement(connection, sql).run(...params);
    } catch (error) {
      throw this.#conflictOr(error, entries.length === 1 ? entries[0]! : null);
    }
  }

  #conflictOr(error: unknown, entry: GalleryEntry | null): unknown {
    if (!sqliteCode(error)?.startsWith('SQLITE_CONSTRAINT')) return error;
    const message = (error as Error).message;
    const idempotency = /idempotency/.test(message);
    if (!idempotency && !/vg_entries\.id\b/.test(message)) return error;
    const text = entry === null
      ? `One of the entries has an id${idempotency ? ', or an owner + idempotency key,' : ''} that exists already or appears twice in the batch.`
      : idempotency
        ? `Owner ${JSON.stringify(entry.owner)} already has an entry with idempotency key ${JSON.stringify(entry.idempotencyKey)}.`
        : `An entry with id ${JSON.stringify(entry.id)} exists already.`;
    return new GalleryError('conflict', text, { retryable: false, cause: error });
  }

  async insert(entry: GalleryEntry): Promise<void> {
    assertValidEntry(entry);
    await this.#run('insert', (c) => this.#insertRows(c, [entry]));
  }

  async insertMany(entries: readonly GalleryEntry[]): Promise<void> {
    for (const entry of entries) assertValidEntry(entry);
    if (entries.length === 0) return;
    // Multi-row statements: far fewer statement savepoints, which is what makes the search index's insert trigger
    // expensive row by row.
    await this.#run('insertMany', (c) => {
      c.db.transaction(() => {
        for (let i = 0; i < entries.length; i += INSERT_CHUNK) this.#insertRows(c, entries.slice(i, i + INSERT_CHUNK));
      }).immediate();
    });
  }

  async get(id: string): Promise<GalleryEntry | null> {
    return this.#run('get', (c) => {
      const row = this.#statement(c, 'SELECT data FROM vg_entries WHERE id = ?').get(id) as EntryRow | undefined;
      return row ? (JSON.parse(row.data) as GalleryEntry) : null;
    });
  }

  async update(id: string, patch: Partial<GalleryEntry>, options: { expectVersion: number }): Promise<GalleryEntry> {
    const expected = assertExpectVersion(options);
    return this.#run('update', (c) =>
      c.db.transaction(() => {
        const row = this.#statement(c, 'SELECT data, version FROM vg_entries WHERE id = ?').get(id) as (EntryRow & { version: number }) | undefined;
        if (!row) return entryNotFound(id);
        if (row.version !== expected) return versionConflict(id, expected, row.version);
        const next = applyEntryPatch(JSON.parse(row.data) as GalleryEntry, patch, this.#now());
        const values = columnValues(next);
        try {
          const result = this.#statement(
            c,
            `UPDATE vg_entries SET owner = ?, status = ?, favorite = ?, visibility = ?, created_at_ms = ?, idempotency_key = ?, version = ?,
               prompt_folded = ?, data = ? WHERE id = ? AND version = ?`,
          ).run(...values, id, expected);
          if (result.changes !== 1) return versionConflict(id, expected, row.version);
        } catch (error) {
          throw this.#conflictOr(error, next);
        }
        return JSON.parse(values[values.length - 1] as string) as GalleryEntry;
      }).immediate(),
    );
  }

  async delete(id: string): Promise<void> {
    await this.#run('delete', (c) => {
      this.#statement(c, 'DELETE FROM vg_entries WHERE id = ?').run(id);
    });
  }

  async findByIdempotencyKey(owner: string | null, key: string): Promise<GalleryEntry | null> {
    return this.#run('findByIdempotencyKey', (c) => {
      const row = (
        owner === null
          ? this.#statement(c, 'SELECT data FROM vg_entries WHERE owner IS NULL AND idempotency_key = ?').get(key)
          : this.#statement(c, 'SELECT data FROM vg_entries WHERE owner = ? AND idempotency_key = ?').get(owner, key)
      ) as EntryRow | undefined;
      return row ? (JSON.parse(row.data) as GalleryEntry) : null;
    });
  }

  async listActive(): Promise<GalleryEntry[]> {
    return this.#run('listActive', (c) => {
      const rows = this.#statement(
        c,
        `SELECT data FROM vg_entries WHERE status IN (${ACTIVE.map(() => '?').join(', ')}) ORDER BY created_at_ms, id`,
      ).all(...ACTIVE) as EntryRow[];
      return rows.map((row) => JSON.parse(row.data) as GalleryEntry);
    });
  }

  async list(query: ListQuery): Promise<ListResult> {
    const q = normalizeListQuery(query);
    if (q.status !== undefined && q.status.length === 0) return { items: [], total: 0, nextCursor: null };
    return this.#run('list', (c) => c.db.transaction(() => this.#list(c, q)).deferred());
  }

  /**
   * How to find the rows whose prompt contains `text`, given the other filters (`where` / `params`): a SQL condition
   * on `seq` from the trigram index, or `null` to scan the prompts of the rows the other filters select.
   */
  #searchCondition(c: Connection, text: string, where: string[], params: unknown[]): { sql: string; params: unknown[] } | null {
    const strategy = this.#options.searchStrategy ?? 'auto';
    if (strategy === 'scan' || [...text].length < 3) return null; // trigrams cannot find 1-2 characters
    const match = ftsPhrase(text);
    if (strategy === 'index') return { sql: 'seq IN (SELECT rowid FROM vg_entries_search WHERE vg_entries_search MATCH ?)', params: [match] };
    // 'auto': a small candidate set (one owner's gallery, say) is cheapest to scan in the list index.
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const candidates = (
      this.#statement(c, `SELECT count(*) AS n FROM (SELECT 1 FROM vg_entries ${filter} LIMIT ?)`).get(...params, SCAN_MAX_ROWS + 1) as { n: number }
    ).n;
    if (candidates <= SCAN_MAX_ROWS) return null;
    // A large one: if the index finds few prompts with the text, start from those (the index is read once).
    const seqs = this.#statement(c, 'SELECT rowid AS seq FROM vg_entries_search WHERE vg_entries_search MATCH ? LIMIT ?')
      .raw(true)
      .all(match, INDEX_MAX_MATCHES) as [number][];
    if (seqs.length >= INDEX_MAX_MATCHES) return null;
    return { sql: 'seq IN (SELECT value FROM json_each(?))', params: [JSON.stringify(seqs.map((row) => row[0]))] };
  }

  #list(c: Connection, q: NormalizedListQuery): ListResult {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.owner === null) where.push('owner IS NULL');
    else if (q.owner !== undefined) {
      where.push('owner = ?');
      params.push(q.owner);
    }
    if (q.status !== undefined) {
      where.push(q.status.length === 1 ? 'status = ?' : `status IN (${q.status.map(() => '?').join(', ')})`);
      params.push(...q.status);
    }
    if (q.favorite !== undefined) {
      where.push('favorite = ?');
      params.push(q.favorite ? 1 : 0);
    }
    if (q.visibility !== undefined) {
      where.push('visibility = ?');
      params.push(q.visibility);
    }
    if (q.q !== undefined) {
      const indexed = this.#searchCondition(c, q.q, where, params);
      if (indexed) {
        where.push(indexed.sql);
        params.push(...indexed.params);
      }
      // instr() compares characters literally: no LIKE wildcards or escapes to worry about. It also re-checks
      // the index's candidates.
      where.push('instr(prompt_folded, ?) > 0');
      params.push(q.q);
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.#statement(c, `SELECT count(*) AS n FROM vg_entries ${filter}`).get(...params) as { n: number }).n;

    const pageWhere = [...where];
    const pageParams = [...params];
    const newest = q.sort === 'newest';
    if (q.after) {
      pageWhere.push(`(created_at_ms, id) ${newest ? '<' : '>'} (?, ?)`);
      pageParams.push(q.after.createdMs, q.after.id);
    }
    const direction = newest ? 'DESC' : 'ASC';
    const sql =
      `SELECT created_at_ms AS t, id, data FROM vg_entries ${pageWhere.length > 0 ? `WHERE ${pageWhere.join(' AND ')}` : ''} ` +
      `ORDER BY created_at_ms ${direction}, id ${direction} LIMIT ?`;
    const rows = this.#statement(c, sql).all(...pageParams, q.limit + 1) as (EntryRow & { t: number; id: string })[];
    const more = rows.length > q.limit;
    if (more) rows.length = q.limit;
    const last = rows[rows.length - 1];
    return {
      items: rows.map((row) => JSON.parse(row.data) as GalleryEntry),
      total,
      nextCursor: more && last ? encodeListCursor({ sort: q.sort, createdMs: last.t, id: last.id }) : null,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = null;
    let connection = this.#connection;
    if (!connection && opening) connection = await opening.catch(() => null);
    this.#connection = null;
    if (connection?.owned && connection.db.open) connection.db.close();
  }
}

/**
 * An `EntryStore` on SQLite through better-sqlite3 (an optional peer dependency, loaded on first use). Name
 * `'sqlite'`. The file is opened lazily, switched to WAL with a busy timeout, and migrated forward
 * (versions recorded in `vg_migrations`). Entries are stored as JSON with indexed columns for owner, status,
 * favorite, visibility, creation time and idempotency key, and a trigram search index over the case-folded prompt.
 * Several processes may share one file; updates are optimistic (`expectVersion`).
 *
 * @example
 * import { createSqliteEntryStore } from '@video-gallery/storage-adapters/sqlite';
 * const store = createSqliteEntryStore({ filename: '.video-gallery/gallery.db' });
 * const page = await store.list({ owner: 'user-1', limit: 20 });
 * await store.close();
 */
export function createSqliteEntryStore(options: SqliteEntryStoreOptions): SqliteEntryStore {
  return new SqliteEntryStoreImpl(options);
}
