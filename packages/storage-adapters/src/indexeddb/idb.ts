// A thin layer over idb-keyval's `createStore` shared by the IndexedDB blob storage and entry store: lazy loading of
// the optional peer, one transaction per call with abort-on-error, reconnects, and errors as GalleryErrors.
// Browser code: no Node imports in this folder.
import { GalleryError } from '@video-gallery/core';
import type { UseStore } from 'idb-keyval';

/** The part of idb-keyval used here. */
export interface IdbKeyvalModule {
  createStore(dbName: string, storeName: string): UseStore;
  promisifyRequest<T = undefined>(request: IDBRequest<T> | IDBTransaction): Promise<T>;
}

const INSTALL_HINT = 'Install it next to @video-gallery/storage-adapters: `npm install idb-keyval` (version 6).';

/**
 * Imports the optional peer dependency `idb-keyval` on first use, so that importing the `/indexeddb` subpath never
 * fails when it is absent. Throws `unsupported` with install instructions when the package is missing. `importer`
 * exists for tests.
 */
export async function loadIdbKeyval(importer: () => Promise<Partial<IdbKeyvalModule>> = () => import('idb-keyval')): Promise<IdbKeyvalModule> {
  let mod: Partial<IdbKeyvalModule>;
  try {
    mod = await importer();
  } catch (error) {
    throw new GalleryError('unsupported', `The IndexedDB adapters need the optional peer dependency idb-keyval, which could not be loaded (${(error as Error)?.message ?? String(error)}). ${INSTALL_HINT}`, {
      cause: error,
      retryable: false,
    });
  }
  if (typeof mod.createStore !== 'function' || typeof mod.promisifyRequest !== 'function') {
    throw new GalleryError('unsupported', `The installed idb-keyval has no createStore / promisifyRequest export. ${INSTALL_HINT}`, { retryable: false });
  }
  return { createStore: mod.createStore, promisifyRequest: mod.promisifyRequest };
}

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : '';
}

/** One object store of one IndexedDB database, opened on first use. */
export class IdbObjectStore {
  readonly dbName: string;
  readonly storeName: string;
  readonly #what: string;
  #module: IdbKeyvalModule | null = null;
  #useStore: UseStore | null = null;
  #database: IDBDatabase | null = null;
  #closed = false;

  constructor(dbName: string, storeName: string, what: string) {
    this.dbName = dbName;
    this.storeName = storeName;
    this.#what = what;
  }

  async #use(): Promise<{ use: UseStore; idb: IdbKeyvalModule }> {
    if (this.#closed) throw new GalleryError('storage_failed', `The ${this.#what} is closed. Create a new one to use the database again.`, { retryable: false });
    if (typeof indexedDB === 'undefined' || typeof IDBKeyRange === 'undefined') {
      throw new GalleryError('unsupported', `The ${this.#what} needs IndexedDB, which this environment does not have (server-side rendering, or Node without fake-indexeddb). Create it in the browser only.`, { retryable: false });
    }
    this.#module ??= await loadIdbKeyval();
    this.#useStore ??= this.#module.createStore(this.dbName, this.storeName);
    return { use: this.#useStore, idb: this.#module };
  }

  /** Wraps a failure of the database in a GalleryError that says what to do. */
  failure(operation: string, error: unknown): GalleryError {
    if (GalleryError.isInstance(error)) return error;
    const name = errorName(error);
    const message = (error as Error)?.message ?? String(error);
    if (name === 'QuotaExceededError') {
      return new GalleryError('storage_failed', `${this.#what}: ${operation} failed: the browser's storage quota for this site is used up. Delete objects, or ask for more room with navigator.storage.persist().`, { cause: error, retryable: false });
    }
    if (name === 'NotFoundError') {
      return new GalleryError(
        'storage_failed',
        `${this.#what}: the IndexedDB database ${JSON.stringify(this.dbName)} exists without the object store ${JSON.stringify(this.storeName)}. idb-keyval keeps one object store per database: give each store name its own dbName.`,
        { cause: error, retryable: false },
      );
    }
    return new GalleryError('storage_failed', `${this.#what}: ${operation} failed: ${name ? `${name}: ` : ''}${message}`, { cause: error, retryable: name === 'AbortError' || name === 'TransactionInactiveError' });
  }

  /**
   * Runs `fn` in one transaction of the object store. `fn` may await requests of that transaction (and nothing else:
   * the transaction commits once no request is pending). A readwrite call resolves once the transaction has committed;
   * when `fn` throws, the transaction is aborted, so none of its writes stay, and `fn`'s error is rethrown.
   */
  async run<T>(operation: string, mode: IDBTransactionMode, fn: (store: IDBObjectStore, idb: IdbKeyvalModule) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const { use, idb } = await this.#use();
      let started = false;
      try {
        return await use(mode, async (store) => {
          started = true;
          this.#watch(store.transaction.db);
          let result: T;
          try {
            result = await fn(store, idb);
          } catch (error) {
            try {
              store.transaction.abort();
            } catch {
              // already finished or aborted
            }
            throw error;
          }
          if (mode === 'readwrite') await idb.promisifyRequest(store.transaction);
          return result;
        });
      } catch (error) {
        // The connection was closed under us (another tab upgraded or deleted the database): reopen once.
        if (!started && attempt === 0 && errorName(error) === 'InvalidStateError' && !this.#closed) {
          this.#useStore = null;
          this.#database = null;
          continue;
        }
        throw this.failure(operation, error);
      }
    }
  }

  /** Closes our connection when another tab wants to upgrade or delete the database, instead of blocking it. */
  #watch(db: IDBDatabase): void {
    if (this.#database === db) return;
    this.#database = db;
    db.onversionchange = () => {
      db.close();
      if (this.#database === db) {
        this.#database = null;
        this.#useStore = null;
      }
    };
  }

  /** Closes the connection (if open). Later calls fail with `storage_failed`. */
  close(): void {
    this.#closed = true;
    this.#database?.close();
    this.#database = null;
    this.#useStore = null;
  }
}

/** Every key that starts with the array `prefix` (IndexedDB orders an array before all its extensions, and `[]` after numbers and strings). */
export function prefixRange(prefix: IDBValidKey[]): IDBKeyRange {
  return IDBKeyRange.bound(prefix, [...prefix, []]);
}
