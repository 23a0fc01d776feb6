import { GalleryError } from '@video-gallery/core';
import type Database from 'better-sqlite3';

/** One schema step. `up` runs inside a transaction together with the row that records it. */
export interface SqliteMigration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/** The table that records applied migrations: one row per version. */
export const MIGRATIONS_TABLE = 'vg_migrations';

/**
 * The schema, oldest first. Never edit a released migration: add a new one with the next version.
 *
 * `vg_entries` keeps the whole entry as JSON in `data`, plus the columns lists filter and sort on. `seq` is an
 * explicit rowid alias so that `VACUUM` cannot renumber the rows the search index points at.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'entries table and list indexes',
    up(db) {
      db.exec(`
        CREATE TABLE vg_entries (
          seq             INTEGER PRIMARY KEY,
          id              TEXT    NOT NULL,
          owner           TEXT,
          status          TEXT    NOT NULL,
          favorite        INTEGER NOT NULL CHECK (favorite IN (0, 1)),
          visibility      TEXT    NOT NULL,
          created_at_ms   INTEGER NOT NULL,
          idempotency_key TEXT,
          version         INTEGER NOT NULL,
          prompt_folded   TEXT    NOT NULL,
          data            TEXT    NOT NULL
        );
        CREATE UNIQUE INDEX vg_entries_id ON vg_entries (id);
        -- prompt_folded rides along in the two main list indexes so that a search scans compact index pages and
        -- reads a row only when its prompt matches.
        CREATE INDEX vg_entries_owner_created ON vg_entries (owner, created_at_ms, id, prompt_folded);
        CREATE INDEX vg_entries_owner_status_created ON vg_entries (owner, status, created_at_ms, id);
        CREATE INDEX vg_entries_created ON vg_entries (created_at_ms, id, prompt_folded);
        CREATE INDEX vg_entries_status_created ON vg_entries (status, created_at_ms, id);
        CREATE INDEX vg_entries_visibility_created ON vg_entries (visibility, created_at_ms, id);
        -- Idempotency keys are unique per owner. SQL unique indexes treat NULLs as distinct, so the anonymous
        -- owner (NULL) gets an index of its own.
        CREATE UNIQUE INDEX vg_entries_owner_idempotency ON vg_entries (owner, idempotency_key)
          WHERE owner IS NOT NULL AND idempotency_key IS NOT NULL;
        CREATE UNIQUE INDEX vg_entries_anonymous_idempotency ON vg_entries (idempotency_key)
          WHERE owner IS NULL AND idempotency_key IS NOT NULL;
      `);
    },
  },
  {
    version: 2,
    name: 'prompt search index (FTS5 trigram)',
    up(db) {
      // A trigram index over the already case-folded prompt: any substring of 3+ characters is found through the
      // index; shorter ones fall back to a scan. case_sensitive 1 because the column is folded in JS already.
      db.exec(`
        CREATE VIRTUAL TABLE vg_entries_search USING fts5(
          prompt_folded, content = 'vg_entries', content_rowid = 'seq', tokenize = 'trigram case_sensitive 1'
        );
        CREATE TRIGGER vg_entries_search_insert AFTER INSERT ON vg_entries BEGIN
          INSERT INTO vg_entries_search (rowid, prompt_folded) VALUES (new.seq, new.prompt_folded);
        END;
        CREATE TRIGGER vg_entries_search_delete AFTER DELETE ON vg_entries BEGIN
          INSERT INTO vg_entries_search (vg_entries_search, rowid, prompt_folded) VALUES ('delete', old.seq, old.prompt_folded);
        END;
        CREATE TRIGGER vg_entries_search_update AFTER UPDATE OF prompt_folded ON vg_entries BEGIN
          INSERT INTO vg_entries_search (vg_entries_search, rowid, prompt_folded) VALUES ('delete', old.seq, old.prompt_folded);
          INSERT INTO vg_entries_search (rowid, prompt_folded) VALUES (new.seq, new.prompt_folded);
        END;
        INSERT INTO vg_entries_search (vg_entries_search) VALUES ('rebuild');
      `);
    },
  },
];

/** The schema version this release writes. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;

/** What {@link migrateSqlite} did. */
export interface MigrationResult {
  /** Schema version found when opening (0 for a new database). */
  from: number;
  /** Schema version now. */
  to: number;
  /** Versions applied by this call. */
  applied: number[];
}

function currentVersion(db: Database.Database): number {
  const row = db.prepare(`SELECT max(version) AS v FROM ${MIGRATIONS_TABLE}`).get() as { v: number | null } | undefined;
  return row?.v ?? 0;
}

/**
 * Brings the schema up to date: runs every migration newer than the recorded version, each in its own
 * `BEGIN IMMEDIATE` transaction together with its `vg_migrations` row, so a crash leaves either all or none of a
 * step, and two processes opening the same file at once never run a step twice. Throws `unsupported` when the
 * database was written by a newer release (its version is above the last known migration).
 */
export function migrateSqlite(db: Database.Database, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): MigrationResult {
  db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const from = currentVersion(db);
  if (from > latest) {
    throw new GalleryError(
      'unsupported',
      `The SQLite database is at schema version ${from}, but this release of @video-gallery/storage-adapters knows versions up to ${latest}. ` +
        'It was written by a newer release: upgrade @video-gallery/storage-adapters (downgrading the schema is not supported).',
      { retryable: false },
    );
  }
  const applied: number[] = [];
  const isApplied = db.prepare(`SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE version = ?`);
  const record = db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`);
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    const step = db.transaction(() => {
      // Re-checked under the write lock: another process may have applied it meanwhile.
      if (isApplied.get(migration.version) !== undefined) return;
      migration.up(db);
      record.run(migration.version, migration.name, new Date().toISOString());
      applied.push(migration.version);
    });
    step.immediate();
  }
  return { from, to: currentVersion(db), applied };
}
