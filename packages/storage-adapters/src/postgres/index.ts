export { createPostgresEntryStore } from './store.js';
export type { PostgresEntryStore, PostgresEntryStoreOptions, PostgresSearchStrategy } from './store.js';
export { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, TRIGRAM_MIGRATION_VERSION, MIGRATION_LOCK_NAME, migratePostgres, postgresNames } from './migrations.js';
export type { PostgresMigration, PostgresMigrationResult, PostgresNames, MigrationOutcome } from './migrations.js';
