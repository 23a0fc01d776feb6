import { describe, expect, it } from 'vitest';
import { testBlobStorage } from '@video-gallery/core/testing';
import { createMemoryStorage } from './index.js';

testBlobStorage({
  name: 'memory',
  create: async () => ({ storage: createMemoryStorage() }),
  supportsUrl: false,
  boundedMemory: false, // it holds every object in RAM by design
});

describe('createMemoryStorage extras', () => {
  it('lists keys and totals bytes, and clear() drops everything', async () => {
    const storage = createMemoryStorage();
    await storage.put('b/2.bin', new Uint8Array(20), { contentType: 'application/octet-stream' });
    await storage.put('a/1.bin', new Uint8Array(10), { contentType: 'application/octet-stream' });
    expect(storage.name).toBe('memory');
    expect(storage.keys()).toEqual(['a/1.bin', 'b/2.bin']);
    expect(storage.totalBytes()).toBe(30);
    storage.clear();
    expect(storage.keys()).toEqual([]);
    expect(await storage.head('a/1.bin')).toBeNull();
  });

  it('copies a Node Buffer body (whose slice() is a view, not a copy)', async () => {
    const storage = createMemoryStorage();
    const body = Buffer.from([1, 2, 3]);
    await storage.put('buf.bin', body, { contentType: 'application/octet-stream' });
    body.fill(0);
    expect([...(await (await storage.get('buf.bin'))!.body.getReader().read()).value!]).toEqual([1, 2, 3]);
  });

  it('a reader cannot change the stored bytes through a chunk it received', async () => {
    const storage = createMemoryStorage();
    await storage.put('x.bin', new Uint8Array([1, 2, 3]), { contentType: 'application/octet-stream' });
    const first = await storage.get('x.bin');
    const { value } = await first!.body.getReader().read();
    value!.fill(9);
    const second = await storage.get('x.bin');
    expect([...(await second!.body.getReader().read()).value!]).toEqual([1, 2, 3]);
  });

  it('a body being read keeps the version it started with when the key is overwritten', async () => {
    const storage = createMemoryStorage();
    await storage.put('v.bin', new Uint8Array([1, 1, 1]), { contentType: 'application/octet-stream' });
    const reading = await storage.get('v.bin');
    await storage.put('v.bin', new Uint8Array([2, 2]), { contentType: 'application/octet-stream' });
    expect([...(await reading!.body.getReader().read()).value!]).toEqual([1, 1, 1]);
  });

  it('two storages do not share objects or etags', async () => {
    const a = createMemoryStorage();
    const b = createMemoryStorage();
    const putA = await a.put('k.bin', new Uint8Array([1]), { contentType: 'text/plain' });
    const putB = await b.put('k.bin', new Uint8Array([1]), { contentType: 'text/plain' });
    expect(putA.etag).not.toBe(putB.etag);
    await a.delete('k.bin');
    expect(await b.head('k.bin')).not.toBeNull();
  });
});
