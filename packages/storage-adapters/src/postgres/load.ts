import { GalleryError } from '@video-gallery/core';
import type { Pool } from 'pg';

/** The part of the `pg` module the store uses. */
export interface PgModule {
  Pool: typeof Pool;
}

const INSTALL_HINT = 'Install it next to @video-gallery/storage-adapters: `npm install pg` (or `pnpm add pg`), version 8.';

/**
 * Imports the optional peer dependency `pg` on first use, so that importing the `/postgres` subpath never fails
 * when it is absent. Throws `unsupported` with install instructions when the package is missing.
 * `importer` exists for tests.
 */
export async function loadPg(
  importer: () => Promise<Partial<PgModule> & { default?: Partial<PgModule> }> = () => import('pg'),
): Promise<PgModule> {
  let mod: Partial<PgModule> & { default?: Partial<PgModule> };
  try {
    mod = await importer();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    throw new GalleryError(
      'unsupported',
      missing
        ? `The Postgres entry store needs the optional peer dependency pg, which is not installed. ${INSTALL_HINT}`
        : `The Postgres entry store could not load pg: ${(error as Error)?.message ?? String(error)}. ${INSTALL_HINT}`,
      { cause: error, retryable: false },
    );
  }
  const PoolClass = mod.Pool ?? mod.default?.Pool;
  if (typeof PoolClass !== 'function') {
    throw new GalleryError('unsupported', `The installed pg package has no Pool export. ${INSTALL_HINT}`, { retryable: false });
  }
  return { Pool: PoolClass };
}
