import { afterEach, describe, expect, it } from 'vitest';
import type { GalleryEntry } from '../contracts/entry.js';
import { setupServer, type ServerSetup } from './test-support.js';

const setups: ServerSetup[] = [];
function setup(options?: Parameters<typeof setupServer>[0]): ServerSetup {
  const s = setupServer(options);
  setups.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(setups.splice(0).map((s) => s.close()));
});

interface Frame {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comment?: string;
}

/** Reads SSE frames from a response body, one at a time. */
function sseReader(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<Frame> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: Frame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon) as keyof Frame;
              frame[field] = line.slice(colon + 1).replace(/^ /, '');
            }
          }
          return frame;
        }
        const { done, value } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    },
    /** Next frame that carries an event (skips comments and id-only frames). */
    async nextEvent(): Promise<Frame> {
      for (;;) {
        const frame = await this.next();
        if (frame.event !== undefined) return frame;
      }
    },
    cancel: () => reader.cancel(),
  };
}

const listenerCount = (s: ServerSetup) => s.gallery.listenerCount('entry-create') + s.gallery.listenerCount('entry-update') + s.gallery.listenerCount('entry-delete');

describe('GET /events', () => {
  it('sends the retry hint, the current id, then only the owner\'s changes with ids', async () => {
    const s = setup();
    const response = await s.call('GET', '/events');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    const sse = sseReader(response);
    expect(await sse.next()).toEqual({ retry: '3000' });
    const hello = await sse.next();
    expect(hello.id).toMatch(/^[0-9a-z]+\.0$/);
    expect(await sse.next()).toEqual({ comment: 'connected' });

    await s.call('POST', '/generations', { user: 'bob', json: { prompt: 'not for alice' } });
    const created = (await (await s.call('POST', '/generations', { json: { prompt: 'for alice' } })).json()) as GalleryEntry;
    const first = await sse.nextEvent();
    expect(first.event).toBe('create');
    const data = JSON.parse(first.data!) as { type: string; entry: Record<string, unknown> };
    expect(data.type).toBe('create');
    expect(data.entry).toMatchObject({ id: created.id, owner: 'alice', status: 'queued' });
    expect(data.entry).not.toHaveProperty('task');
    // bob's create was sequence 1: alice's is 2.
    expect(first.id).toBe(hello.id!.replace(/\.0$/, '.2'));
    await s.settle();
    const statuses: string[] = [];
    let previous = 2;
    for (;;) {
      const frame = await sse.nextEvent();
      const entry = (JSON.parse(frame.data!) as { entry: GalleryEntry }).entry;
      expect(entry.owner).toBe('alice');
      const seq = Number(frame.id!.split('.')[1]);
      expect(seq).toBeGreaterThan(previous);
      previous = seq;
      statuses.push(entry.status);
      if (entry.status === 'ready') break;
    }
    expect(statuses).toEqual(['submitting', 'generating', 'generating', 'downloading', 'processing', 'ready']);
    await s.call('DELETE', `/generations/${created.id}`, { headers: { 'video-gallery-request': '1' } });
    const deleted = await sse.nextEvent();
    expect(deleted.event).toBe('delete');
    expect(JSON.parse(deleted.data!)).toMatchObject({ type: 'delete', entry: { id: created.id } });
    await sse.cancel();
  });

  it('401 without credentials', async () => {
    const s = setup();
    expect((await s.call('GET', '/events', { user: null })).status).toBe(401);
    expect(listenerCount(s)).toBe(0);
  });

  it('sends a heartbeat comment every heartbeatMs', async () => {
    const s = setup({ handler: { heartbeatMs: 5 } });
    const sse = sseReader(await s.call('GET', '/events'));
    await sse.next();
    await sse.next();
    expect(await sse.next()).toEqual({ comment: 'connected' });
    expect(await sse.next()).toEqual({ comment: 'heartbeat' });
    expect(await sse.next()).toEqual({ comment: 'heartbeat' });
    await sse.cancel();
  });

  it('Last-Event-ID resumes with the owner\'s missed events, in order', async () => {
    const s = setup();
    const sse = sseReader(await s.call('GET', '/events'));
    await s.call('POST', '/generations', { json: { prompt: 'one' } });
    const seen = await sse.nextEvent();
    await sse.cancel();
    expect(s.handler.eventClients).toBe(0);
    // While disconnected: one change of alice's, one of bob's, another of alice's.
    const a = (await (await s.call('POST', '/generations', { json: { prompt: 'two' } })).json()) as GalleryEntry;
    await s.call('POST', '/generations', { user: 'bob', json: { prompt: 'bob' } });
    const b = (await (await s.call('POST', '/generations', { json: { prompt: 'three' } })).json()) as GalleryEntry;
    await s.runner.close(); // no job progress from here on: only the three creates (and the first job's steps) happened
    const resumed = sseReader(await s.call('GET', '/events', { headers: { 'last-event-id': seen.id! } }));
    expect(await resumed.next()).toEqual({ retry: '3000' });
    const missedIds: string[] = [];
    for (;;) {
      const frame = await resumed.next();
      if (frame.event === undefined) {
        // The closing id-only frame: the current position.
        expect(frame.id).toBeDefined();
        break;
      }
      const entry = (JSON.parse(frame.data!) as { entry: GalleryEntry }).entry;
      expect(entry.owner).toBe('alice');
      missedIds.push(entry.id);
    }
    expect(missedIds).toContain(a.id);
    expect(missedIds).toContain(b.id);
    expect(missedIds.indexOf(a.id)).toBeLessThan(missedIds.indexOf(b.id));
    await resumed.cancel();
  });

  it('sends reset when the id is too old, from another instance or malformed', async () => {
    const s = setup({ handler: { eventBufferSize: 2 } });
    const sse = sseReader(await s.call('GET', '/events'));
    await sse.next();
    const hello = await sse.next();
    await sse.cancel();
    for (let i = 0; i < 3; i++) await s.call('POST', '/generations', { user: 'bob', json: { prompt: `p${i}` } });
    for (const lastEventId of [hello.id!, 'zzzzzz.1', 'garbage', `${hello.id!.split('.')[0]!}.999`]) {
      const resumed = sseReader(await s.call('GET', '/events', { headers: { 'last-event-id': lastEventId } }));
      await resumed.next();
      expect(await resumed.next(), lastEventId).toEqual({ event: 'reset', data: '{}' });
      await resumed.cancel();
    }
    // A recent id resumes without reset (nothing of alice's was missed).
    const current = sseReader(await s.call('GET', '/events'));
    await current.next();
    const position = await current.next();
    await current.cancel();
    const resumed = sseReader(await s.call('GET', '/events', { headers: { 'last-event-id': position.id! } }));
    await resumed.next();
    expect((await resumed.next()).id).toBe(position.id);
    await resumed.cancel();
  });

  it('1,000 connects and disconnects leak no listener (cancel and request abort both clean up)', async () => {
    const s = setup();
    const warm = await s.call('GET', '/events');
    await warm.body!.cancel();
    const baseline = listenerCount(s);
    expect(baseline).toBe(3); // the handler's one subscription
    for (let i = 0; i < 1000; i++) {
      if (i % 2 === 0) {
        const response = await s.call('GET', '/events');
        const reader = response.body!.getReader();
        await reader.read();
        await reader.cancel();
      } else {
        const controller = new AbortController();
        const response = await s.handler(new Request('http://test.local/api/gallery/events', { headers: { authorization: 'Bearer alice' }, signal: controller.signal }));
        expect(s.handler.eventClients).toBe(1);
        controller.abort();
        expect((await new Response(response.body).text()).length).toBeGreaterThan(0);
      }
      expect(s.handler.eventClients).toBe(0);
    }
    expect(listenerCount(s)).toBe(baseline);
    s.handler.close();
    expect(listenerCount(s)).toBe(0);
  });

  it('drops a client that stops reading once 1,000 frames pile up', async () => {
    const s = setup();
    const response = await s.call('GET', '/events');
    expect(s.handler.eventClients).toBe(1);
    const entry = (await (await s.call('POST', '/generations', { json: { prompt: 'x' } })).json()) as GalleryEntry;
    await s.settle();
    const full = (await s.gallery.get(entry.id))!;
    for (let i = 0; i < 1100 && s.handler.eventClients > 0; i++) s.gallery.emit('entry-update', full, full);
    expect(s.handler.eventClients).toBe(0);
    // What was queued is still delivered, then the stream ends (the client reconnects with Last-Event-ID).
    const text = await new Response(response.body).text();
    expect(text.split('event: update').length - 1).toBeGreaterThan(900);
  });

  it('handler.close() ends open streams', async () => {
    const s = setup();
    const response = await s.call('GET', '/events');
    s.handler.close();
    expect(s.handler.eventClients).toBe(0);
    await expect(new Response(response.body).text()).resolves.toContain(': connected');
  });
});
