import { GalleryError } from '@video-gallery/core';
import type { ClientBase } from 'pg';

/** Quotes an SQL identifier (the caller has validated it). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The names of the store's objects for one `schema` + `tablePrefix`. */
export interface PostgresNames {
  /** The schema, unquoted. */
  schema: string;
  /** The table prefix, unquoted. */
  prefix: string;
  /** `"schema"."<prefix>entries"`. */
  entries: string;
  /** `"schema"."<prefix>migrations"`. */
  migrations: string;
  /** `"schema"."<prefix>entry_counts"`. */
  counts: string;
  /** A function in the schema: `fn('entries_count_insert')` → `"schema"."<prefix>entries_count_insert"`. */
  qualified(suffix: string): string;
  /** An object name in the schema with the prefix, unquoted: `index('entries_created')` → `vg_entries_created`. */
  name(suffix: string): string;
}

/** Builds {@link PostgresNames}. `schema` and `prefix` must already be valid identifiers. */
export function postgresNames(schema: string, prefix: string): PostgresNames {
  const qualified = (table: string) => `${quoteIdent(schema)}.${quoteIdent(prefix + table)}`;
  return {
    schema,
    prefix,
    entries: qualified('entries'),
    migrations: qualified('migrations'),
    counts: qualified('entry_counts'),
    qualified,
    name: (suffix) => prefix + suffix,
  };
}

/** What a migration's `up` reports. */
export type MigrationOutcome = { applied: true } | { applied: false; reason: string };

/** One schema step. `up` runs inside the migration transaction, together with the row that records it. */
export interface PostgresMigration {
  version: number;
  name: string;
  /**
   * An optional step may report `{ applied: false }` (for example when the role may not create the `pg_trgm`
   * extension). It is then rolled back, not recorded, and tried again on the next start; later steps still run.
   */
  optional?: boolean;
  up(client: ClientBase, names: PostgresNames): Promise<MigrationOutcome>;
}

const APPLIED: MigrationOutcome = { applied: true };

/** SQLSTATEs meaning "this role or server cannot create the extension". */
const EXTENSION_UNAVAILABLE = new Set(['42501' /* insufficient_privilege */, '58P01' /* undefined_file */, '0A000' /* feature_not_supported */, '42704' /* undefined_object */]);

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The schema `pg_trgm` is installed in, or `null` when it is not installed in this database. */
export async function trigramSchema(client: ClientBase): Promise<string | null> {
  const result = await client.query<{ nspname: string }>(
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'",
  );
  return result.rows[0]?.nspname ?? null;
}

/**
 * The schema, oldest first. Never edit a released migration: add a new one with the next version.
 *
 * `<prefix>entries` keeps the whole entry as `json` in `data` (verbatim text, so any JSON string round-trips),
 * plus the columns lists filter and sort on. `id` and `owner` use the `"C"` collation so that ids sort by code
 * point (the order every entry store shares) and comparisons skip the locale.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'entries table and list indexes',
    async up(client, n) {
      await client.query(`
        CREATE TABLE ${n.entries} (
          id              text COLLATE "C" NOT NULL,
          owner           text COLLATE "C",
          status          text    NOT NULL,
          favorite        boolean NOT NULL,
          visibility      text    NOT NULL,
          created_ms      bigint  NOT NULL,
          idempotency_key text COLLATE "C",
          version         bigint  NOT NULL,
          prompt_folded   text    NOT NULL,
          data            json    NOT NULL,
          CONSTRAINT ${quoteIdent(n.name('entries_pkey'))} PRIMARY KEY (id)
        );
        -- prompt_folded rides along in the owner index, so a search within one owner's gallery scans index pages
        -- only and reads a row when it is on the page.
        CREATE INDEX ${quoteIdent(n.name('entries_owner_created'))} ON ${n.entries} (owner, created_ms DESC, id DESC) INCLUDE (prompt_folded);
        CREATE INDEX ${quoteIdent(n.name('entries_created'))} ON ${n.entries} (created_ms DESC, id DESC);
        CREATE INDEX ${quoteIdent(n.name('entries_owner_status_created'))} ON ${n.entries} (owner, status, created_ms DESC, id DESC);
        CREATE INDEX ${quoteIdent(n.name('entries_status_created'))} ON ${n.entries} (status, created_ms DESC, id DESC);
        -- Idempotency keys are unique per owner. Unique indexes treat NULLs as distinct (before PG 15's NULLS NOT
        -- DISTINCT), so the anonymous owner (NULL) gets an index of its own; rows without a key are never unique.
        CREATE UNIQUE INDEX ${quoteIdent(n.name('entries_owner_idempotency'))} ON ${n.entries} (owner, idempotency_key)
          WHERE owner IS NOT NULL AND idempotency_key IS NOT NULL;
        CREATE UNIQUE INDEX ${quoteIdent(n.name('entries_anonymous_idempotency'))} ON ${n.entries} (idempotency_key)
          WHERE owner IS NULL AND idempotency_key IS NOT NULL;
      `);
      return APPLIED;
    },
  },
  {
    version: 2,
    name: 'entry counts per owner (statement triggers)',
    async up(client, n) {
      // Exact totals for unfiltered lists without counting rows: '*' = every entry, 'n' = anonymous (owner NULL),
      // 'o:<owner>' = one owner. Statement-level triggers with transition tables keep them in step with every INSERT
      // (also COPY), DELETE and owner-changing UPDATE in the same transaction; upserts run in key order so that
      // concurrent writers lock the rows in one order.
      const key = (table: string) => `SELECT CASE WHEN owner IS NULL THEN 'n' ELSE 'o:' || owner END AS k FROM ${table}`;
      await client.query(`
        CREATE TABLE ${n.counts} (k text COLLATE "C" NOT NULL PRIMARY KEY, n bigint NOT NULL);
        INSERT INTO ${n.counts} (k, n)
          SELECT '*', count(*) FROM ${n.entries}
          UNION ALL SELECT k, count(*) FROM (${key(n.entries)}) owners GROUP BY k;

        CREATE FUNCTION ${n.qualified('entries_count_insert')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          INSERT INTO ${n.counts} AS c (k, n)
            SELECT k, sum(d) FROM (SELECT '*' AS k, 1 AS d FROM new_rows UNION ALL SELECT k, 1 FROM (${key('new_rows')}) o) x
            GROUP BY k ORDER BY k
          ON CONFLICT (k) DO UPDATE SET n = c.n + excluded.n;
          RETURN NULL;
        END $fn$;
        CREATE FUNCTION ${n.qualified('entries_count_delete')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          INSERT INTO ${n.counts} AS c (k, n)
            SELECT k, -sum(d) FROM (SELECT '*' AS k, 1 AS d FROM old_rows UNION ALL SELECT k, 1 FROM (${key('old_rows')}) o) x
            GROUP BY k ORDER BY k
          ON CONFLICT (k) DO UPDATE SET n = c.n + excluded.n;
          RETURN NULL;
        END $fn$;
        CREATE FUNCTION ${n.qualified('entries_count_update')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          INSERT INTO ${n.counts} AS c (k, n)
            SELECT k, sum(d) FROM (SELECT k, 1 AS d FROM (${key('new_rows')}) a UNION ALL SELECT k, -1 FROM (${key('old_rows')}) b) x
            GROUP BY k HAVING sum(d) <> 0 ORDER BY k
          ON CONFLICT (k) DO UPDATE SET n = c.n + excluded.n;
          RETURN NULL;
        END $fn$;
        CREATE FUNCTION ${n.qualified('entries_count_truncate')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          DELETE FROM ${n.counts};
          RETURN NULL;
        END $fn$;
        CREATE TRIGGER ${quoteIdent(n.name('entries_count_insert'))} AFTER INSERT ON ${n.entries}
          REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${n.qualified('entries_count_insert')}();
        CREATE TRIGGER ${quoteIdent(n.name('entries_count_delete'))} AFTER DELETE ON ${n.entries}
          REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${n.qualified('entries_count_delete')}();
        CREATE TRIGGER ${quoteIdent(n.name('entries_count_update'))} AFTER UPDATE ON ${n.entries}
          REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${n.qualified('entries_count_update')}();
        CREATE TRIGGER ${quoteIdent(n.name('entries_count_truncate'))} AFTER TRUNCATE ON ${n.entries}
          FOR EACH STATEMENT EXECUTE FUNCTION ${n.qualified('entries_count_truncate')}();
      `);
      return APPLIED;
    },
  },
  {
    version: 3,
    name: 'prompt search index (pg_trgm GIN)',
    optional: true,
    async up(client, n) {
      let extensionSchema = await trigramSchema(client);
      if (extensionSchema === null) {
        await client.query('SAVEPOINT vg_create_pg_trgm');
        try {
          await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
          await client.query('RELEASE SAVEPOINT vg_create_pg_trgm');
        } catch (error) {
          await client.query('ROLLBACK TO SAVEPOINT vg_create_pg_trgm');
          if (!EXTENSION_UNAVAILABLE.has(sqlState(error) ?? '')) throw error;
          return { applied: false, reason: `CREATE EXTENSION pg_trgm failed: ${(error as Error).message}` };
        }
        extensionSchema = await trigramSchema(client);
        if (extensionSchema === null) return { applied: false, reason: 'pg_trgm is not installed after CREATE EXTENSION' };
      }
      // A trigram index over the already case-folded prompt serves `prompt_folded LIKE '%text%'`.
      await client.query(
        `CREATE INDEX ${quoteIdent(n.name('entries_prompt_trgm'))} ON ${n.entries} USING gin (prompt_folded ${quoteIdent(extensionSchema)}.gin_trgm_ops)`,
      );
      return APPLIED;
    },
  },
];

/** The version of the optional `pg_trgm` search index step. */
export const TRIGRAM_MIGRATION_VERSION = 3;

/** The schema version this release writes (when every optional step could be applied). */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;

/**
 * The advisory lock every migration run takes (`pg_advisory_xact_lock(hashtext(...))`), one per database, so stores
 * starting at the same time in several processes migrate one after the other.
 */
export const MIGRATION_LOCK_NAME = 'video-gallery:migrations';

/** What {@link migratePostgres} did. */
export interface PostgresMigrationResult {
  /** Highest applied version found (0 for a new schema). */
  from: number;
  /** Highest applied version now. */
  to: number;
  /** Versions applied by this call. */
  applied: number[];
  /** Optional versions that could not be applied (not recorded; tried again next time), with the reason. */
  skipped: { version: number; name: string; reason: string }[];
  /** Whether the trigram search index exists (migration {@link TRIGRAM_MIGRATION_VERSION} applied, now or earlier). */
  trigramIndex: boolean;
}

/**
 * Brings the schema up to date in one transaction that first takes the advisory lock {@link MIGRATION_LOCK_NAME}
 * (`pg_advisory_xact_lock`): creates the schema and the `<prefix>migrations` table when missing, then runs every
 * migration whose version is not recorded yet and records it, so each step is applied exactly once even when several
 * processes start together, and a failure rolls back every step of the run. Optional steps that report
 * `{ applied: false }` are rolled back to a savepoint and left unrecorded. Throws `unsupported` when the schema was
 * written by a newer release.
 */
export async function migratePostgres(
  client: ClientBase,
  names: PostgresNames,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<PostgresMigrationResult> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [MIGRATION_LOCK_NAME]);
    const schemaExists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [names.schema]);
    if (schemaExists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(names.schema)}`);
    // Checked first rather than CREATE TABLE IF NOT EXISTS, which needs the CREATE privilege even when the table exists:
    // a role with only SELECT / INSERT / UPDATE / DELETE can start a store on an up-to-date schema.
    const table = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [names.migrations]);
    if (table.rows[0]?.t == null) {
      await client.query(`CREATE TABLE ${names.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    }
    const recorded = new Set((await client.query<{ version: number }>(`SELECT version FROM ${names.migrations}`)).rows.map((r) => r.version));
    const from = Math.max(0, ...recorded);
    const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
    if (from > latest) {
      throw new GalleryError(
        'unsupported',
        `The Postgres schema ${JSON.stringify(names.schema)} (table prefix ${JSON.stringify(names.prefix)}) is at version ${from}, but this release of ` +
          `@video-gallery/storage-adapters knows versions up to ${latest}. It was written by a newer release: upgrade @video-gallery/storage-adapters ` +
          '(downgrading the schema is not supported).',
        { retryable: false },
      );
    }
    const applied: number[] = [];
    const skipped: PostgresMigrationResult['skipped'] = [];
    for (const migration of migrations) {
      if (recorded.has(migration.version)) continue;
      if (migration.optional) await client.query('SAVEPOINT vg_optional_migration');
      const outcome = await migration.up(client, names);
      if (!outcome.applied) {
        await client.query('ROLLBACK TO SAVEPOINT vg_optional_migration');
        skipped.push({ version: migration.version, name: migration.name, reason: outcome.reason });
        continue;
      }
      if (migration.optional) await client.query('RELEASE SAVEPOINT vg_optional_migration');
      await client.query(`INSERT INTO ${names.migrations} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      recorded.add(migration.version);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return { from, to: Math.max(0, ...recorded), applied, skipped, trigramIndex: recorded.has(TRIGRAM_MIGRATION_VERSION) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
