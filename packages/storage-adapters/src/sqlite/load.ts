import { GalleryError } from '@video-gallery/core';
import type Database from 'better-sqlite3';

/** The `better-sqlite3` default export (the `Database` constructor). */
export type BetterSqlite3Constructor = typeof Database;

const INSTALL_HINT = 'Install it next to @video-gallery/storage-adapters: `npm install better-sqlite3` (or `pnpm add better-sqlite3`).';

/**
 * Imports the optional peer dependency `better-sqlite3` on first use, so that importing the `/sqlite` subpath
 * never fails when it is absent. Throws `unsupported` with install instructions when the package is missing.
 * `importer` exists for tests.
 */
export async function loadBetterSqlite3(
  importer: () => Promise<{ default: BetterSqlite3Constructor }> = () => import('better-sqlite3'),
): Promise<BetterSqlite3Constructor> {
  try {
    const mod = await importer();
    return mod.default;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new GalleryError('unsupported', `The SQLite entry store needs the optional peer dependency better-sqlite3, which is not installed. ${INSTALL_HINT}`, {
        cause: error,
        retryable: false,
      });
    }
    throw new GalleryError('unsupported', `The SQLite entry store could not load better-sqlite3: ${(error as Error)?.message ?? String(error)}. ${INSTALL_HINT}`, {
      cause: error,
      retryable: false,
    });
  }
}

/**
 * Turns the error better-sqlite3 throws when its native addon is missing or built for another Node.js into an
 * `unsupported` error that says how to fix it; returns any other error unchanged.
 */
export function explainNativeAddonError(error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (/bindings file|better_sqlite3\.node|NODE_MODULE_VERSION|invalid ELF header|was compiled against a different/i.test(message)) {
    return new GalleryError(
      'unsupported',
      `better-sqlite3 is installed but its native addon could not be loaded (${message.split('\n')[0]}). Rebuild it with \`npm rebuild better-sqlite3\`; ` +
        'with pnpm 10, allow its build script first (add `better-sqlite3` to `onlyBuiltDependencies` in pnpm-workspace.yaml) and reinstall.',
      { cause: error, retryable: false },
    );
  }
  return error;
}
