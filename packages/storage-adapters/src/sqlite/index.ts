export { createSqliteEntryStore } from './store.js';
export type { SqliteEntryStore, SqliteEntryStoreOptions, SqliteSearchStrategy } from './store.js';
export { SQLITE_SCHEMA_VERSION, SQLITE_MIGRATIONS, MIGRATIONS_TABLE, migrateSqlite } from './migrations.js';
export type { SqliteMigration, MigrationResult } from './migrations.js';
