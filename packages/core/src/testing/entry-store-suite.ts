import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GalleryError } from '../errors.js';
import type { GalleryErrorCode } from '../errors.js';
import { ACTIVE_STATUSES, JOB_STATUSES } from '../contracts/entry.js';
import type { GalleryEntry, JobStatus } from '../contracts/entry.js';
import type { EntryStore, ListQuery } from '../contracts/entry-store.js';
import { makeEntry } from './entry-fixtures.js';
import type { MakeEntryOverrides } from './entry-fixtures.js';

/** Options of {@link testEntryStore}. */
export interface EntryStoreSuiteOptions {
  /** Shown in the test names, for example `'sqlite'`. */
  name: string;
  /**
   * Makes a new, empty store for one test. `cleanup` (optional) runs after the test, after the suite has called
   * `store.close?.()`; use it to remove temporary files or databases.
   */
  create: () => Promise<{ store: EntryStore; cleanup?: () => Promise<void> }>;
  /**
   * Skips the suite: `true`, or a string saying why (for example a missing database). The reason is printed
   * with `console.warn`. With the environment variable `VG_REQUIRE_ALL=1` a skipped suite fails instead.
   * Default: `false`.
   */
  skip?: boolean | string;
}

function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name];
}

/** Milliseconds of a fixed base time plus `seconds`: entries created with `at(n)` sort by `n`. */
const BASE_MS = Date.UTC(2025, 0, 1);
function at(seconds: number): string {
  return new Date(BASE_MS + seconds * 1000).toISOString();
}

async function expectGalleryError(action: () => Promise<unknown>, code: GalleryErrorCode): Promise<GalleryError> {
  let caught: unknown = undefined;
  let threw = false;
  try {
    await action();
  } catch (error) {
    threw = true;
    caught = error;
  }
  expect(threw, `expected a GalleryError '${code}', but nothing was thrown`).toBe(true);
  expect(GalleryError.isInstance(caught), `expected a GalleryError '${code}', got ${String(caught)}`).toBe(true);
  expect((caught as GalleryError).code).toBe(code);
  return caught as GalleryError;
}

/**
 * The conformance suite every `EntryStore` must pass, built on vitest: insert / get / update / delete semantics,
 * optimistic versions, idempotency keys, owner isolation, list filters, keyset pagination (stable while entries
 * are inserted between pages), literal case-insensitive search, `findByIdempotencyKey` and `listActive`.
 * Call it at the top level of a test file:
 *
 * @example
 * import { testEntryStore } from '@video-gallery/core/testing';
 * testEntryStore({ name: 'memory', create: async () => ({ store: createMemoryEntryStore() }) });
 */
export function testEntryStore(options: EntryStoreSuiteOptions): void {
  const title = `EntryStore conformance: ${options.name}`;
  const reason = typeof options.skip === 'string' ? options.skip : options.skip === true ? 'skip: true was passed' : null;
  if (reason !== null && readEnv('VG_REQUIRE_ALL') === '1') {
    describe(title, () => {
      it('runs (VG_REQUIRE_ALL=1 forbids skipping)', () => {
        throw new Error(`The ${options.name} entry store suite would be skipped: ${reason}`);
      });
    });
    return;
  }
  if (reason !== null) console.warn(`[entry-store suite] SKIPPING ${options.name}: ${reason}`);

  describe.skipIf(reason !== null)(title, () => {
    let store: EntryStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const created = await options.create();
      store = created.store;
      cleanup = created.cleanup;
    });

    afterEach(async () => {
      await store?.close?.();
      await cleanup?.();
    });

    /** Inserts entries and returns them as inserted. */
    async function seed(list: MakeEntryOverrides[]): Promise<GalleryEntry[]> {
      const entries = list.map((o) => makeEntry(o));
      for (const entry of entries) await store.insert(entry);
      return entries;
    }

    /** Every page of a query, following `nextCursor`. */
    async function walk(query: Omit<ListQuery, 'cursor'>): Promise<{ ids: string[]; pages: number; totals: number[] }> {
      const ids: string[] = [];
      const totals: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
        pages += 1;
        totals.push(page.total);
        ids.push(...page.items.map((e) => e.id));
        expect(page.items.length).toBeLessThanOrEqual(query.limit);
        if (page.nextCursor !== null) expect(page.items.length).toBe(query.limit);
        cursor = page.nextCursor ?? undefined;
        if (pages > 1000) throw new Error('pagination does not terminate');
      } while (cursor !== undefined);
      return { ids, pages, totals };
    }

    async function search(q: string, extra: Partial<ListQuery> = {}): Promise<string[]> {
      const result = await store.list({ limit: 100, ...extra, q });
      expect(result.total).toBe(result.items.length);
      return result.items.map((e) => e.request.prompt).sort();
    }

    describe('insert and get', () => {
      it('has a name', () => {
        expect(typeof store.name).toBe('string');
        expect(store.name.length).toBeGreaterThan(0);
      });

      it('returns what was inserted, and null for an unknown id', async () => {
        const entry = makeEntry({
          owner: 'alice',
          idempotencyKey: 'k-1',
          task: { id: 'task-1', nested: [1, 'two', null, { deep: true }] },
          warnings: [{ type: 'unsupported', message: 'audio ignored', feature: 'audio' }],
          error: { code: 'timeout', message: 'took too long', retryable: true },
          video: { key: 'videos/a.mp4', contentType: 'video/mp4', bytes: 1234, durationSeconds: 4, width: 1280, height: 720 },
          request: { prompt: 'Ünïcödé prompt 猫 🐱', negativePrompt: 'blur', seed: 42, audio: false },
          favorite: true,
          visibility: 'published',
          caption: 'A caption',
          progress: 0.5,
        });
        await store.insert(entry);
        expect(await store.get(entry.id)).toEqual(entry);
        expect(await store.get('no-such-id')).toBeNull();
      });

      it('deep-copies: mutating the inserted or a returned object does not change stored state', async () => {
        const entry = makeEntry({ warnings: [{ type: 'other', message: 'original' }] });
        await store.insert(entry);
        entry.request.prompt = 'mutated after insert';
        entry.warnings[0]!.message = 'mutated after insert';
        entry.status = 'failed';
        const got = await store.get(entry.id);
        expect(got?.request.prompt).toBe('A paper boat drifting across a calm lake at sunset');
        expect(got?.warnings[0]?.message).toBe('original');
        expect(got?.status).toBe('queued');
        got!.request.prompt = 'mutated result';
        got!.warnings.push({ type: 'other', message: 'pushed' });
        const listed = await store.list({ limit: 10 });
        listed.items[0]!.caption = 'mutated list item';
        const again = await store.get(entry.id);
        expect(again?.request.prompt).toBe('A paper boat drifting across a calm lake at sunset');
        expect(again?.warnings).toHaveLength(1);
        expect(again?.caption).toBeNull();
      });

      it('rejects a duplicate id with conflict and keeps the first entry', async () => {
        const entry = makeEntry({ request: { prompt: 'first' } });
        await store.insert(entry);
        await expectGalleryError(() => store.insert({ ...entry, request: { ...entry.request, prompt: 'second' } }), 'conflict');
        expect((await store.get(entry.id))?.request.prompt).toBe('first');
      });

      it('rejects a duplicate owner + idempotency key with conflict and stores nothing', async () => {
        await seed([{ owner: 'alice', idempotencyKey: 'same' }]);
        const dup = makeEntry({ owner: 'alice', idempotencyKey: 'same' });
        await expectGalleryError(() => store.insert(dup), 'conflict');
        expect(await store.get(dup.id)).toBeNull();
        expect((await store.list({ owner: 'alice', limit: 10 })).total).toBe(1);
      });

      it('scopes idempotency keys per owner, with null as an owner of its own', async () => {
        await seed([
          { owner: 'alice', idempotencyKey: 'k' },
          { owner: 'bob', idempotencyKey: 'k' },
          { owner: null, idempotencyKey: 'k' },
          { owner: null, idempotencyKey: null },
          { owner: null, idempotencyKey: null },
          { owner: 'alice', idempotencyKey: null },
          { owner: 'alice', idempotencyKey: null },
        ]);
        expect((await store.list({ limit: 100 })).total).toBe(7);
        await expectGalleryError(() => store.insert(makeEntry({ owner: null, idempotencyKey: 'k' })), 'conflict');
        await expectGalleryError(() => store.insert(makeEntry({ owner: 'bob', idempotencyKey: 'k' })), 'conflict');
      });

      it('rejects an entry whose createdAt is not a timestamp with invalid_input', async () => {
        const entry = makeEntry({ createdAt: 'yesterday' });
        await expectGalleryError(() => store.insert(entry), 'invalid_input');
        expect(await store.get(entry.id)).toBeNull();
      });
    });

    describe('update', () => {
      it('applies the patch, increments the version, sets updatedAt and returns the new entry', async () => {
        const [entry] = await seed([{ version: 3, updatedAt: '2020-01-01T00:00:00.000Z', createdAt: at(0) }]);
        const before = Date.now();
        const updated = await store.update(entry!.id, { status: 'generating', progress: 0.25, task: { ref: 'x' } }, { expectVersion: 3 });
        expect(updated.version).toBe(4);
        expect(updated.status).toBe('generating');
        expect(updated.progress).toBe(0.25);
        expect(updated.task).toEqual({ ref: 'x' });
        expect(updated.updatedAt).not.toBe('2020-01-01T00:00:00.000Z');
        expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(before - 1);
        expect(updated.createdAt).toBe(at(0));
        expect(updated.request).toEqual(entry!.request);
        expect(await store.get(entry!.id)).toEqual(updated);
      });

      it('ignores a version in the patch: the new version is always expectVersion + 1', async () => {
        const [entry] = await seed([{}]);
        const updated = await store.update(entry!.id, { version: 99, caption: 'c' }, { expectVersion: 1 });
        expect(updated.version).toBe(2);
        expect((await store.get(entry!.id))?.version).toBe(2);
      });

      it('rejects a stale expectVersion with conflict and changes nothing', async () => {
        const [entry] = await seed([{}]);
        await store.update(entry!.id, { caption: 'first writer' }, { expectVersion: 1 });
        await expectGalleryError(() => store.update(entry!.id, { caption: 'second writer' }, { expectVersion: 1 }), 'conflict');
        const stored = await store.get(entry!.id);
        expect(stored?.caption).toBe('first writer');
        expect(stored?.version).toBe(2);
      });

      it('lets exactly one of two concurrent writers with the same version win', async () => {
        const [entry] = await seed([{}]);
        const results = await Promise.allSettled([
          store.update(entry!.id, { caption: 'a' }, { expectVersion: 1 }),
          store.update(entry!.id, { caption: 'b' }, { expectVersion: 1 }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect((rejected.reason as GalleryError).code).toBe('conflict');
        expect((await store.get(entry!.id))?.version).toBe(2);
      });

      it('throws not_found for a missing entry', async () => {
        await expectGalleryError(() => store.update('missing', { caption: 'x' }, { expectVersion: 1 }), 'not_found');
      });

      it('refuses to change the id, and accepts the same id in the patch', async () => {
        const [entry] = await seed([{}]);
        await expectGalleryError(() => store.update(entry!.id, { id: 'other-id' }, { expectVersion: 1 }), 'invalid_input');
        expect(await store.get('other-id')).toBeNull();
        expect((await store.get(entry!.id))?.version).toBe(1);
        const updated = await store.update(entry!.id, { id: entry!.id, caption: 'ok' }, { expectVersion: 1 });
        expect(updated.id).toBe(entry!.id);
      });

      it('rejects taking another entry’s idempotency key with conflict', async () => {
        const [, b] = await seed([{ owner: 'alice', idempotencyKey: 'k1' }, { owner: 'alice', idempotencyKey: 'k2' }]);
        await expectGalleryError(() => store.update(b!.id, { idempotencyKey: 'k1' }, { expectVersion: 1 }), 'conflict');
        expect((await store.get(b!.id))?.idempotencyKey).toBe('k2');
        expect((await store.findByIdempotencyKey('alice', 'k2'))?.id).toBe(b!.id);
      });

      it('keeps filters, search and idempotency lookups in step with updated fields', async () => {
        const [entry] = await seed([{ owner: 'alice', idempotencyKey: 'key', request: { prompt: 'old words here' }, status: 'queued' }]);
        await store.update(
          entry!.id,
          { owner: 'bob', status: 'ready', favorite: true, visibility: 'published', request: { ...entry!.request, prompt: 'New Words' } },
          { expectVersion: 1 },
        );
        expect((await store.list({ owner: 'alice', limit: 10 })).total).toBe(0);
        expect((await store.list({ owner: 'bob', status: ['ready'], favorite: true, visibility: 'published', limit: 10 })).total).toBe(1);
        expect((await store.list({ q: 'old words', limit: 10 })).total).toBe(0);
        expect((await store.list({ q: 'new words', limit: 10 })).total).toBe(1);
        expect(await store.findByIdempotencyKey('alice', 'key')).toBeNull();
        expect((await store.findByIdempotencyKey('bob', 'key'))?.id).toBe(entry!.id);
        expect(await store.listActive()).toEqual([]);
      });

      it('returns a copy that does not alias stored state', async () => {
        const [entry] = await seed([{}]);
        const updated = await store.update(entry!.id, { caption: 'c' }, { expectVersion: 1 });
        updated.caption = 'mutated';
        expect((await store.get(entry!.id))?.caption).toBe('c');
      });
    });

    describe('delete', () => {
      it('removes the entry, is idempotent, and frees its idempotency key', async () => {
        const [entry, other] = await seed([{ owner: 'alice', idempotencyKey: 'k' }, { owner: 'alice' }]);
        await store.delete(entry!.id);
        expect(await store.get(entry!.id)).toBeNull();
        await store.delete(entry!.id);
        await store.delete('never-existed');
        expect(await store.findByIdempotencyKey('alice', 'k')).toBeNull();
        const list = await store.list({ owner: 'alice', limit: 10 });
        expect(list.items.map((e) => e.id)).toEqual([other!.id]);
        expect(list.total).toBe(1);
        await store.insert(makeEntry({ owner: 'alice', idempotencyKey: 'k' }));
        await expectGalleryError(() => store.update(entry!.id, { caption: 'x' }, { expectVersion: 1 }), 'not_found');
      });
    });

    describe('list', () => {
      it('filters by owner: a string, null (anonymous entries only), or undefined (every owner)', async () => {
        const entries = await seed([
          { owner: 'alice', createdAt: at(1) },
          { owner: 'bob', createdAt: at(2) },
          { owner: null, createdAt: at(3) },
          { owner: 'alice', createdAt: at(4) },
        ]);
        const ids = (list: GalleryEntry[]) => list.map((e) => e.id);
        const alice = await store.list({ owner: 'alice', limit: 10 });
        expect(ids(alice.items)).toEqual([entries[3]!.id, entries[0]!.id]);
        expect(alice.total).toBe(2);
        const anonymous = await store.list({ owner: null, limit: 10 });
        expect(ids(anonymous.items)).toEqual([entries[2]!.id]);
        expect(anonymous.total).toBe(1);
        const all = await store.list({ limit: 10 });
        expect(ids(all.items)).toEqual([entries[3]!.id, entries[2]!.id, entries[1]!.id, entries[0]!.id]);
        expect(all.total).toBe(4);
        expect((await store.list({ owner: 'carol', limit: 10 })).total).toBe(0);
      });

      it('filters by status list, favorite and visibility, alone and combined', async () => {
        const entries = await seed([
          { status: 'ready', favorite: true, visibility: 'published', createdAt: at(1) },
          { status: 'ready', favorite: false, visibility: 'draft', createdAt: at(2) },
          { status: 'failed', favorite: true, visibility: 'draft', createdAt: at(3) },
          { status: 'generating', favorite: false, visibility: 'published', createdAt: at(4) },
          { status: 'queued', favorite: true, visibility: 'published', createdAt: at(5) },
        ]);
        const ids = async (query: Partial<ListQuery>) => {
          const result = await store.list({ limit: 100, ...query });
          expect(result.total).toBe(result.items.length);
          return result.items.map((e) => entries.findIndex((x) => x.id === e.id));
        };
        expect(await ids({ status: ['ready'] })).toEqual([1, 0]);
        expect(await ids({ status: ['ready', 'failed'] })).toEqual([2, 1, 0]);
        expect(await ids({ status: [] })).toEqual([]);
        expect(await ids({ favorite: true })).toEqual([4, 2, 0]);
        expect(await ids({ favorite: false })).toEqual([3, 1]);
        expect(await ids({ visibility: 'published' })).toEqual([4, 3, 0]);
        expect(await ids({ visibility: 'draft' })).toEqual([2, 1]);
        expect(await ids({ status: ['ready', 'queued'], favorite: true, visibility: 'published' })).toEqual([4, 0]);
        expect(await ids({ status: [...ACTIVE_STATUSES] })).toEqual([4, 3]);
      });

      it('sorts newest first by default, oldest on request, breaking createdAt ties by id', async () => {
        await seed([
          { id: 'b', createdAt: at(5) },
          { id: 'a', createdAt: at(5) },
          { id: 'c', createdAt: at(5) },
          { id: 'z', createdAt: at(1) },
          { id: 'y', createdAt: at(9) },
        ]);
        const order = async (sort?: 'newest' | 'oldest') =>
          (await store.list({ limit: 10, ...(sort ? { sort } : {}) })).items.map((e) => e.id);
        expect(await order()).toEqual(['y', 'c', 'b', 'a', 'z']);
        expect(await order('newest')).toEqual(['y', 'c', 'b', 'a', 'z']);
        expect(await order('oldest')).toEqual(['z', 'a', 'b', 'c', 'y']);
      });

      it('sorts by the instant, not the text, of createdAt', async () => {
        await seed([
          { id: 'later', createdAt: '2025-01-01T00:00:01Z' },
          { id: 'earlier', createdAt: '2025-01-01T00:00:00.500Z' },
          { id: 'offset', createdAt: '2025-01-01T02:00:00.750+02:00' },
        ]);
        expect((await store.list({ limit: 10, sort: 'oldest' })).items.map((e) => e.id)).toEqual(['earlier', 'offset', 'later']);
      });

      for (const sort of ['newest', 'oldest'] as const) {
        it(`pages through everything exactly once with cursors (${sort}), ties included`, async () => {
          const specs: MakeEntryOverrides[] = [];
          for (let i = 0; i < 23; i++) specs.push({ id: `e${String(i).padStart(2, '0')}`, createdAt: at(Math.floor(i / 3)), owner: 'alice' });
          specs.push({ owner: 'bob', createdAt: at(3) });
          await seed(specs);
          const full = (await store.list({ owner: 'alice', limit: 100, sort })).items.map((e) => e.id);
          expect(full).toHaveLength(23);
          const expected = specs.slice(0, 23).map((s) => s.id!);
          expect(full).toEqual(sort === 'newest' ? [...expected].reverse() : expected);
          for (const limit of [1, 2, 3, 5, 23, 100]) {
            const walked = await walk({ owner: 'alice', limit, sort });
            expect(walked.ids).toEqual(full);
            expect(walked.pages).toBe(Math.max(1, Math.ceil(23 / limit)));
            expect(new Set(walked.totals)).toEqual(new Set([23]));
          }
        });

        it(`neither skips nor repeats items when entries are inserted and deleted between pages (${sort})`, async () => {
          const original = await seed(Array.from({ length: 12 }, (_, i) => ({ owner: 'alice', createdAt: at(10 + i) })));
          const expected = (sort === 'newest' ? [...original].reverse() : original).map((e) => e.id);
          const seen: string[] = [];
          let cursor: string | undefined;
          let round = 0;
          do {
            const page = await store.list({ owner: 'alice', limit: 5, sort, ...(cursor === undefined ? {} : { cursor }) });
            seen.push(...page.items.map((e) => e.id));
            cursor = page.nextCursor ?? undefined;
            round += 1;
            // Between page reads: a newer entry arrives (as in a live gallery), an older one, and one created at
            // the same instant as the last item read.
            await store.insert(makeEntry({ owner: 'alice', createdAt: at(100 + round) }));
            await store.insert(makeEntry({ owner: 'alice', createdAt: at(round) }));
            const last = page.items[page.items.length - 1];
            if (last) await store.insert(makeEntry({ owner: 'alice', createdAt: last.createdAt }));
            if (round === 1) {
              // The item the cursor points at disappears: keyset pagination must carry on from its position.
              await store.delete(seen[seen.length - 1]!);
            }
          } while (cursor !== undefined && round < 20);
          expect(new Set(seen).size).toBe(seen.length);
          expect(seen.filter((id) => expected.includes(id))).toEqual(expected);
        });
      }

      it('counts total over every page, independent of limit and cursor', async () => {
        await seed(Array.from({ length: 7 }, (_, i) => ({ owner: 'alice', status: i % 2 === 0 ? ('ready' as const) : ('failed' as const), createdAt: at(i) })));
        const first = await store.list({ owner: 'alice', status: ['ready'], limit: 2 });
        expect(first.total).toBe(4);
        expect(first.nextCursor).not.toBeNull();
        const second = await store.list({ owner: 'alice', status: ['ready'], limit: 2, cursor: first.nextCursor! });
        expect(second.total).toBe(4);
        expect(second.items).toHaveLength(2);
        expect(second.nextCursor).toBeNull();
      });

      it('returns nextCursor null on an empty result and when the last page is exactly full', async () => {
        expect(await store.list({ limit: 5 })).toEqual({ items: [], total: 0, nextCursor: null });
        await seed(Array.from({ length: 4 }, (_, i) => ({ createdAt: at(i) })));
        const page = await store.list({ limit: 4 });
        expect(page.items).toHaveLength(4);
        expect(page.nextCursor).toBeNull();
      });

      it('accepts limit 1..100 and rejects anything else with invalid_input', async () => {
        await seed([{}]);
        expect((await store.list({ limit: 1 })).items).toHaveLength(1);
        expect((await store.list({ limit: 100 })).items).toHaveLength(1);
        for (const limit of [0, -1, 101, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          const error = await expectGalleryError(() => store.list({ limit }), 'invalid_input');
          expect(error.field).toBe('limit');
        }
        await expectGalleryError(() => store.list({ limit: '10' as unknown as number }), 'invalid_input');
      });

      it('rejects malformed cursors with invalid_input', async () => {
        await seed(Array.from({ length: 3 }, (_, i) => ({ createdAt: at(i) })));
        const good = (await store.list({ limit: 1 })).nextCursor!;
        expect(typeof good).toBe('string');
        expect(good).toMatch(/^[A-Za-z0-9_-]+$/);
        const toB64 = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        const bad = ['not a cursor!', '%%%', good.slice(0, -3), `${good}x`, toB64('hello'), toB64('{"a":1}'), toB64('[1,"n","x","id"]'), toB64('[9,"n",1,"id"]'), 'AAAA'];
        for (const cursor of bad) {
          const error = await expectGalleryError(() => store.list({ limit: 1, cursor }), 'invalid_input');
          expect(error.field).toBe('cursor');
        }
        // A cursor issued for newest-first cannot continue an oldest-first listing.
        await expectGalleryError(() => store.list({ limit: 1, cursor: good, sort: 'oldest' }), 'invalid_input');
      });

      it('rejects unknown statuses, visibility and sort with invalid_input', async () => {
        await expectGalleryError(() => store.list({ limit: 1, status: ['done' as JobStatus] }), 'invalid_input');
        await expectGalleryError(() => store.list({ limit: 1, visibility: 'secret' as 'draft' }), 'invalid_input');
        await expectGalleryError(() => store.list({ limit: 1, sort: 'random' as 'newest' }), 'invalid_input');
      });
    });

    describe('search (q)', () => {
      it('matches a case-insensitive substring of the prompt', async () => {
        await seed([
          { request: { prompt: 'A Paper Boat at SUNSET' } },
          { request: { prompt: 'sunsets over the bay' } },
          { request: { prompt: 'Midnight city' } },
        ]);
        expect(await search('sunset')).toEqual(['A Paper Boat at SUNSET', 'sunsets over the bay']);
        expect(await search('SuNsEt')).toEqual(['A Paper Boat at SUNSET', 'sunsets over the bay']);
        expect(await search('paper boat')).toEqual(['A Paper Boat at SUNSET']);
        expect(await search('t c')).toEqual(['Midnight city']);
        expect(await search('n')).toHaveLength(3);
        expect(await search('boats')).toEqual([]);
        expect((await store.list({ q: '', limit: 10 })).total).toBe(3);
      });

      it('folds non-ASCII case and normalisation: ÉCOLE finds école (composed or not), STRASSE finds Straße', async () => {
        await seed([
          { request: { prompt: "Les enfants quittent l'école à midi" } },
          { request: { prompt: 'Une e\u0301cole vide sous la neige' } },
          { request: { prompt: 'Ecole without accent' } },
          { request: { prompt: 'Regen auf der Straße' } },
        ]);
        expect(await search('ÉCOLE')).toEqual(["Les enfants quittent l'école à midi", 'Une e\u0301cole vide sous la neige']);
        expect(await search('école')).toHaveLength(2);
        expect(await search('E\u0301COLE')).toHaveLength(2);
        expect(await search('ecole')).toEqual(['Ecole without accent']);
        expect(await search('STRASSE')).toEqual(['Regen auf der Straße']);
        expect(await search('é')).toHaveLength(2);
      });

      it('finds Japanese and emoji substrings', async () => {
        await seed([
          { request: { prompt: '桜の木の下で猫が眠る' } },
          { request: { prompt: '東京の夜景、ネオンの光' } },
          { request: { prompt: 'A cat 🐱 riding a 🚀 to the moon' } },
          { request: { prompt: 'A dog 🐶 on the beach' } },
        ]);
        expect(await search('猫が')).toEqual(['桜の木の下で猫が眠る']);
        expect(await search('猫')).toEqual(['桜の木の下で猫が眠る']);
        expect(await search('ネオンの光')).toEqual(['東京の夜景、ネオンの光']);
        expect(await search('ネコ')).toEqual([]);
        expect(await search('🐱')).toEqual(['A cat 🐱 riding a 🚀 to the moon']);
        expect(await search('🐱 riding a 🚀')).toEqual(['A cat 🐱 riding a 🚀 to the moon']);
        expect(await search('🐈')).toEqual([]);
      });

      it('treats % _ \\ and quotes as plain text, not wildcards or syntax', async () => {
        await seed([
          { request: { prompt: '100% organic coffee' } },
          { request: { prompt: '1000 organic teas' } },
          { request: { prompt: 'snake_case title' } },
          { request: { prompt: 'snakeXcase title' } },
          { request: { prompt: 'path C:\\videos\\cat.mp4' } },
          { request: { prompt: 'path C:/videos/cat.mp4' } },
          { request: { prompt: 'it\'s a "quoted" title' } },
          { request: { prompt: 'its a quoted title' } },
        ]);
        expect(await search('%')).toEqual(['100% organic coffee']);
        expect(await search('100%')).toEqual(['100% organic coffee']);
        expect(await search('0% o')).toEqual(['100% organic coffee']);
        expect(await search('%organic%')).toEqual([]);
        expect(await search('_')).toEqual(['snake_case title']);
        expect(await search('e_c')).toEqual(['snake_case title']);
        expect(await search('snake_case')).toEqual(['snake_case title']);
        expect(await search('\\')).toEqual(['path C:\\videos\\cat.mp4']);
        expect(await search('\\videos\\')).toEqual(['path C:\\videos\\cat.mp4']);
        expect(await search("'")).toEqual(['it\'s a "quoted" title']);
        expect(await search('"')).toEqual(['it\'s a "quoted" title']);
        expect(await search('"quoted"')).toEqual(['it\'s a "quoted" title']);
        expect(await search("it's a")).toEqual(['it\'s a "quoted" title']);
        expect(await search('quoted" OR "title')).toEqual([]);
        expect(await search('*')).toEqual([]);
        expect(await search('title*')).toEqual([]);
      });

      it('combines with owner and other filters, and pages with a stable total', async () => {
        const specs: MakeEntryOverrides[] = [];
        for (let i = 0; i < 9; i++) specs.push({ owner: 'alice', createdAt: at(i), request: { prompt: i % 3 === 0 ? `Red fox ${i}` : `blue whale ${i}` } });
        specs.push({ owner: 'bob', createdAt: at(50), request: { prompt: 'RED FOX of bob' } });
        specs.push({ owner: null, createdAt: at(51), request: { prompt: 'red fox, anonymous' } });
        const entries = await seed(specs);
        expect(await search('red fox', { owner: 'alice' })).toEqual(['Red fox 0', 'Red fox 3', 'Red fox 6']);
        expect(await search('red fox', { owner: null })).toEqual(['red fox, anonymous']);
        expect(await search('red fox')).toHaveLength(5);
        const walked = await walk({ owner: 'alice', q: 'WHALE', limit: 4 });
        expect(walked.ids).toEqual(entries.filter((e) => e.owner === 'alice' && e.request.prompt.startsWith('blue')).map((e) => e.id).reverse());
        expect(new Set(walked.totals)).toEqual(new Set([6]));
        await store.update(entries[1]!.id, { favorite: true }, { expectVersion: 1 });
        expect(await search('whale', { owner: 'alice', favorite: true })).toEqual(['blue whale 1']);
      });
    });

    describe('findByIdempotencyKey', () => {
      it("finds the owner's entry and never another owner's", async () => {
        const [a, b, anon] = await seed([
          { owner: 'alice', idempotencyKey: 'k' },
          { owner: 'bob', idempotencyKey: 'k' },
          { owner: null, idempotencyKey: 'k' },
        ]);
        expect((await store.findByIdempotencyKey('alice', 'k'))?.id).toBe(a!.id);
        expect((await store.findByIdempotencyKey('bob', 'k'))?.id).toBe(b!.id);
        expect((await store.findByIdempotencyKey(null, 'k'))?.id).toBe(anon!.id);
        expect(await store.findByIdempotencyKey('carol', 'k')).toBeNull();
        expect(await store.findByIdempotencyKey('alice', 'other')).toBeNull();
        expect(await store.findByIdempotencyKey('alice', 'K')).toBeNull();
        const found = await store.findByIdempotencyKey('alice', 'k');
        found!.caption = 'mutated';
        expect((await store.get(a!.id))?.caption).toBeNull();
      });
    });

    describe('listActive', () => {
      it('returns every non-terminal entry of every owner, and nothing else', async () => {
        const specs: MakeEntryOverrides[] = JOB_STATUSES.map((status, i) => ({ status, owner: i % 2 === 0 ? 'alice' : null, createdAt: at(i) }));
        const entries = await seed(specs);
        const active = await store.listActive();
        expect(active.map((e) => e.id).sort()).toEqual(entries.filter((e) => ACTIVE_STATUSES.includes(e.status)).map((e) => e.id).sort());
        expect(active.every((e) => ACTIVE_STATUSES.includes(e.status))).toBe(true);
        expect(active).toHaveLength(5);
      });
    });
  });
}
