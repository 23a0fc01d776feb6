import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { setupServer, type ServerSetup } from '../server/test-support.js';
import { fakeVideoBytes } from '../testing/fake-provider.js';
import { toNodeListener, type WebHandler } from './listener.js';

const servers: Server[] = [];
const setups: ServerSetup[] = [];
afterEach(async () => {
  await Promise.all(setups.splice(0).map((s) => s.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(handler: WebHandler, wrap?: (listener: ReturnType<typeof toNodeListener>) => Parameters<typeof createServer>[1]): Promise<string> {
  const listener = toNodeListener(handler, { logger: { warn: () => {}, error: () => {} } });
  const server = createServer(wrap ? wrap(listener)! : listener);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Polls `read` until it returns the same value three times in a row (a stream stopped moving). */
async function settled(read: () => number): Promise<number> {
  let last = -1;
  let same = 0;
  for (let i = 0; i < 400 && same < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const now = read();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

describe('toNodeListener over node:http', () => {
  it('streams a request body to the handler chunk by chunk', async () => {
    const sizes: number[] = [];
    const base = await listen(async (request) => {
      let total = 0;
      const reader = request.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        sizes.push(value.byteLength);
        total += value.byteLength;
      }
      return Response.json({ total, method: request.method, path: new URL(request.url).pathname, type: request.headers.get('content-type') });
    });
    const chunk = new Uint8Array(256 * 1024).fill(7);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await fetch(`${base}/upload?x=1`, { method: 'PUT', body, headers: { 'content-type': 'application/x-test' }, duplex: 'half' } as RequestInit);
    expect(await response.json()).toEqual({ total: 40 * 256 * 1024, method: 'PUT', path: '/upload', type: 'application/x-test' });
    expect(sizes.length).toBeGreaterThan(1);
  });

  it('applies backpressure to an upload the handler does not read yet', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let received = 0;
    let reqRef: IncomingMessage | undefined;
    const base = await listen(async (request) => {
      if (request.method === 'GET') return new Response('ok');
      await gate;
      const reader = request.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
      }
      return new Response(String(received));
    }, (listener) => (req, res) => {
      reqRef = req;
      listener(req, res);
    });
    const total = 64 * 1024 * 1024;
    let sent = 0;
    const client = httpRequest(`${base}/slow`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(total) } });
    const piece = Buffer.alloc(1024 * 1024, 1);
    const pump = async () => {
      while (sent < total) {
        sent += piece.byteLength;
        if (!client.write(piece)) await once(client, 'drain');
      }
      client.end();
    };
    const pumping = pump();
    // The handler is not reading: the upload stalls well before 64 MiB (socket buffers only).
    const stalledAt = await settled(() => sent);
    expect(stalledAt).toBeLessThan(total);
    expect(reqRef!.isPaused()).toBe(true);
    release();
    await pumping;
    const [response] = (await once(client, 'response')) as [IncomingMessage];
    let text = '';
    for await (const data of response) text += String(data);
    expect(Number(text)).toBe(total);
  });

  it('drains a body the handler never read, so a keep-alive connection serves the next request', async () => {
    const base = await listen(async (request) => new Response(request.method === 'POST' ? 'refused' : 'next', { status: request.method === 'POST' ? 403 : 200 }));
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, body?: Buffer) => new Promise<{ status: number; text: string; reused: boolean }>((resolve, reject) => {
      const req = httpRequest(`${base}/x`, { method, agent, headers: body ? { 'content-length': String(body.byteLength) } : {} }, async (res) => {
        let text = '';
        for await (const data of res) text += String(data);
        resolve({ status: res.statusCode!, text, reused: req.reusedSocket });
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(await send('POST', Buffer.alloc(2 * 1024 * 1024, 1))).toMatchObject({ status: 403, text: 'refused' });
    expect(await send('GET')).toEqual({ status: 200, text: 'next', reused: true });
    agent.destroy();
  });

  it('streams the response with backpressure, and a client abort cancels it and aborts request.signal', async () => {
    let pulls = 0;
    let cancelled = false;
    let aborted = false;
    const base = await listen(async (request) => {
      request.signal.addEventListener('abort', () => (aborted = true));
      const chunk = new Uint8Array(64 * 1024);
      return new Response(new ReadableStream<Uint8Array>({
        pull(controller) {
          pulls++;
          controller.enqueue(chunk);
        },
        cancel() {
          cancelled = true;
        },
      }, { highWaterMark: 0 }));
    });
    const client = httpRequest(`${base}/endless`);
    client.end();
    const [response] = (await once(client, 'response')) as [IncomingMessage];
    expect(response.statusCode).toBe(200);
    response.pause(); // the client stops reading
    const stalledPulls = await settled(() => pulls);
    // An endless body did not run ahead of the socket: only what socket buffers hold was produced.
    expect(stalledPulls * 64 * 1024).toBeLessThan(64 * 1024 * 1024);
    response.destroy();
    client.destroy();
    for (let i = 0; i < 1000 && !(cancelled && aborted); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cancelled).toBe(true);
    expect(aborted).toBe(true);
  });

  it('HEAD sends headers only; several Set-Cookie headers survive; a crash is a generic 500', async () => {
    let headBodyCancelled = false;
    const base = await listen(async (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/crash') throw new Error('secret database password in message');
      const headers = new Headers({ 'content-type': 'text/plain', 'content-length': '5' });
      headers.append('set-cookie', 'a=1; Path=/');
      headers.append('set-cookie', 'b=2; Path=/');
      return new Response(new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('hello'));
          controller.close();
        },
        cancel() {
          headBodyCancelled = true;
        },
      }), { headers });
    });
    const get = await fetch(`${base}/x`);
    expect(await get.text()).toBe('hello');
    expect(get.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const head = await fetch(`${base}/x`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('5');
    expect(await head.text()).toBe('');
    expect(headBodyCancelled).toBe(true);
    const crash = await fetch(`${base}/crash`);
    expect(crash.status).toBe(500);
    const text = await crash.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    expect(text).not.toContain('secret');
  });

  it('uses Express\'s originalUrl when a mount path stripped req.url', async () => {
    let seen = '';
    const base = await listen(async (request) => {
      seen = new URL(request.url).pathname + new URL(request.url).search;
      return new Response(null, { status: 204 });
    }, (listener) => (req, res) => {
      // What Express does for app.use('/api/gallery', ...).
      Object.assign(req, { originalUrl: req.url });
      req.url = req.url!.replace(/^\/api\/gallery/, '') || '/';
      listener(req, res);
    });
    expect((await fetch(`${base}/api/gallery/capabilities?x=1`)).status).toBe(204);
    expect(seen).toBe('/api/gallery/capabilities?x=1');
  });

  it('serves the gallery handler: ranges, uploads and SSE through a real socket', async () => {
    const s = setupServer();
    setups.push(s);
    const base = await listen(s.handler);
    const headers = { authorization: 'Bearer alice' };
    const created = await fetch(`${base}/api/gallery/generations`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'over http' }) });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const events = await fetch(`${base}/api/gallery/events`, { headers });
    const reader = events.body!.getReader();
    await s.settle();
    const ranged = await fetch(`${base}/api/gallery/generations/${id}/video`, { headers: { ...headers, range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 10-19/${fakeVideoBytes().byteLength}`);
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(fakeVideoBytes().slice(10, 20));
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('retry: 3000');
    expect(s.handler.eventClients).toBe(1);
    await reader.cancel();
    for (let i = 0; i < 1000 && s.handler.eventClients > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(s.handler.eventClients).toBe(0);
  });
});
