// Shared by indexeddb.test.ts (Node, fake-indexeddb) and indexeddb.browser.test.ts (real Chromium): database
// names, deletion, and the conformance suites of both adapters, run the same way on either IndexedDB.
import { afterAll, beforeAll, describe } from 'vitest';
import { testBlobStorage, testEntryStore } from '@video-gallery/core/testing';
import { createIndexedDbEntryStore, createIndexedDbStorage } from './index.js';

let counter = 0;
/** A database name of its own for each use, so that tests never share state. */
export function dbName(kind: string): string {
  counter += 1;
  return `vg-test-${kind}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    // 'blocked' only means a connection is still closing (its last transaction finishing): the delete goes on once
    // it has; a connection left open for good would time the hook out.
  });
}

/**
 * The blob-storage and entry-store conformance suites on this IndexedDB. The blob suite runs without
 * URL.createObjectURL (as in a worker without it), where url() must be null; each test file checks object URLs
 * on its own.
 */
export function indexedDbConformance(options: { name: string; largeObjectBytes?: number }): void {
  describe('without URL.createObjectURL', () => {
    const original = URL.createObjectURL;
    beforeAll(() => {
      (URL as { createObjectURL?: unknown }).createObjectURL = undefined;
    });
    afterAll(() => {
      URL.createObjectURL = original;
    });

    testBlobStorage({
      name: options.name,
      ...(options.largeObjectBytes === undefined ? {} : { largeObjectBytes: options.largeObjectBytes }),
      // Neither a page nor fake-indexeddb (which keeps every record in memory) has an RSS figure to check.
      boundedMemory: false,
      supportsUrl: false,
      create: async () => {
        const name = dbName('blobs');
        const storage = createIndexedDbStorage({ dbName: name });
        return {
          storage,
          cleanup: async () => {
            await storage.close();
            await deleteDatabase(name);
          },
        };
      },
    });
  });

  testEntryStore({
    name: options.name,
    create: async () => {
      const name = dbName('entries');
      const store = createIndexedDbEntryStore({ dbName: name });
      return { store, cleanup: () => deleteDatabase(name) };
    },
  });
}
