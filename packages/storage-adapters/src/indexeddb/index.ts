// Browser adapters on IndexedDB (idb-keyval). Platform neutral: nothing in this folder imports Node built-ins.
export { createIndexedDbStorage } from './blob-storage.js';
export type { IndexedDbStorage, IndexedDbStorageOptions } from './blob-storage.js';
export { createIndexedDbEntryStore } from './entry-store.js';
export type { IndexedDbEntryStore, IndexedDbEntryStoreOptions } from './entry-store.js';
