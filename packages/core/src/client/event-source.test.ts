// The injected-EventSource transport of RemoteGallery, driven through a controllable fake EventSource.
import { describe, expect, it, vi } from 'vitest';
import { makeEntry } from '../testing/entry-fixtures.js';
import { RemoteGallery, type ConnectionState, type EventSourceLike, type RemoteChange } from './index.js';

class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  closed = false;

  constructor(readonly url: string, readonly init?: { withCredentials?: boolean }) {
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }

  emit(type: string, data: unknown, lastEventId: string): void {
    const event = new MessageEvent(type, { data: JSON.stringify(data), lastEventId });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }

  fail(readyState: 0 | 2): void {
    this.readyState = readyState;
    this.onerror?.(new Event('error'));
  }
}

describe('RemoteGallery with an injected EventSource', () => {
  it('maps named events to changes, lets the EventSource reconnect itself, takes over with backoff when it gives up, and closes when the last listener leaves', async () => {
    FakeEventSource.instances = [];
    const client = new RemoteGallery({
      baseUrl: 'https://gallery.test/api/gallery', credentials: 'include', EventSource: FakeEventSource,
      reconnect: { initialDelayMs: 10, maxDelayMs: 10 }, random: () => 1,
    });
    const changes: RemoteChange[] = [];
    const states: ConnectionState[] = [];
    let resets = 0;
    client.on('connection', (state) => states.push(state));
    client.on('reset', () => resets++);
    const unsubscribe = client.subscribe((change) => changes.push(change));

    expect(FakeEventSource.instances).toHaveLength(1);
    const first = FakeEventSource.instances[0]!;
    expect(first.url).toBe('https://gallery.test/api/gallery/events');
    expect(first.init).toEqual({ withCredentials: true });
    first.open();
    expect(client.connection.status).toBe('open');

    const entry = makeEntry({ id: 'e1', owner: 'alice', status: 'queued', version: 1 });
    first.emit('create', { type: 'create', entry }, 'h.1');
    first.emit('update', { type: 'update', entry: { ...entry, status: 'ready', version: 5 } }, 'h.2');
    first.emit('update', { type: 'update', entry: { ...entry, status: 'generating', version: 3 } }, 'h.3'); // stale: dropped
    expect(changes.map((c) => [c.type, c.entry.status])).toEqual([['create', 'queued'], ['update', 'ready']]);

    // CONNECTING: the EventSource retries by itself (sending Last-Event-ID); no second instance.
    first.fail(0);
    expect(client.connection.status).toBe('connecting');
    expect(FakeEventSource.instances).toHaveLength(1);
    first.open();
    expect(resets).toBe(0);

    // CLOSED: it gave up; the client opens a new one after the backoff and says events may have been missed.
    first.fail(2);
    expect(first.closed).toBe(true);
    expect(states.at(-1)).toMatchObject({ status: 'connecting', retryInMs: 10 });
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(2), { timeout: 2000, interval: 5 });
    const second = FakeEventSource.instances[1]!;
    second.open();
    expect(resets).toBe(1);
    second.emit('delete', { type: 'delete', entry: { ...entry, status: 'ready', version: 5 } }, 'h.9');
    expect(changes.at(-1)).toMatchObject({ type: 'delete', entry: { id: 'e1' } });

    unsubscribe();
    expect(second.closed).toBe(true);
    expect(client.connection.status).toBe('closed');
  });
});
