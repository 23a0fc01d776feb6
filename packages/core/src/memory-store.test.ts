import { describe, expect, it } from 'vitest';
import { createMemoryEntryStore } from './memory-store.js';
import { makeEntry, testEntryStore } from './testing/index.js';

testEntryStore({ name: 'memory', create: async () => ({ store: createMemoryEntryStore() }) });

describe('createMemoryEntryStore', () => {
  it("is named 'memory' and uses the injected clock for updatedAt", async () => {
    const store = createMemoryEntryStore({ now: () => new Date('2030-05-06T07:08:09.000Z') });
    expect(store.name).toBe('memory');
    const entry = makeEntry();
    await store.insert(entry);
    const updated = await store.update(entry.id, { caption: 'x' }, { expectVersion: 1 });
    expect(updated.updatedAt).toBe('2030-05-06T07:08:09.000Z');
  });

  it('keeps separate stores separate', async () => {
    const a = createMemoryEntryStore();
    const b = createMemoryEntryStore();
    const entry = makeEntry();
    await a.insert(entry);
    expect(await b.get(entry.id)).toBeNull();
  });
});
