// HTTP Range / conditional-request conformance of the gallery handler over each blob storage.
// Adding a storage is one more `testHttpRanges({ name, create })` call.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryStorage } from '@video-gallery/core';
import { testHttpRanges } from '@video-gallery/core/testing';
import { createFsStorage } from './fs/index.js';

testHttpRanges({
  name: 'fs',
  create: async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'vg-http-range-'));
    return { storage: createFsStorage({ root, fsync: false }), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
});

testHttpRanges({ name: 'memory', create: async () => ({ storage: createMemoryStorage() }) });
