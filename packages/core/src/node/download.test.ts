import { execFileSync } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GalleryError } from '../errors.js';
import { readAll } from '../streams.js';
import { fileHandler, startServer, videoBytes, type LoopbackServer } from '../test-helpers/loopback.js';
import { checkDownloadUrl } from '../url-guard.js';
import { createNodeDownloader } from './download.js';
import { galleryErrorOf as rejection } from '../testing/gallery-error-of.js';

const REQUIRE_ALL = process.env.VG_REQUIRE_ALL === '1';


const ok = fileHandler(videoBytes(1000));

let v4: LoopbackServer;
let v6: LoopbackServer | undefined;

beforeAll(async () => {
  v4 = await startServer(ok, '127.0.0.1');
  try {
    v6 = await startServer(ok, '::1');
  } catch {
    v6 = undefined;
    console.warn('IPv6 loopback (::1) is unavailable: the [::1] and [::] vectors are only checked for refusal.');
  }
});
afterAll(async () => {
  await v4.close();
  await v6?.close();
});
afterEach(() => {
  v4.requests.length = 0;
  if (v6) v6.requests.length = 0;
});

describe('createNodeDownloader: SSRF vectors against loopback servers', () => {
  // [host spelling, which loopback server it reaches when allowed, or null when it cannot reach one here]
  const vectors: Array<[string, 'v4' | 'v6' | null]> = [
    ['127.0.0.1', 'v4'],
    ['127.1', 'v4'],
    ['0177.0.0.1', 'v4'],
    ['0x7f000001', 'v4'],
    ['0x7f.0.0.1', 'v4'],
    ['2130706433', 'v4'],
    ['0', 'v4'],
    ['0.0.0.0', 'v4'],
    ['localhost', 'v4'],
    ['LOCALHOST', 'v4'],
    ['localhost.', null], // the trailing-dot name does not resolve on every machine
    ['[::ffff:127.0.0.1]', 'v4'],
    ['[::ffff:7f00:1]', 'v4'],
    ['[::1]', 'v6'],
    ['[::]', 'v6'],
    ['api.localhost', null],
    ['[::127.0.0.1]', null],
    ['[64:ff9b::7f00:1]', null],
    ['[2002:7f00:1::]', null],
    ['169.254.169.254', null],
    ['10.0.0.1', null],
    ['192.168.0.1', null],
    ['100.64.0.1', null],
    ['[fd00::1]', null],
    ['[fe80::1]', null],
    ['224.0.0.1', null],
    ['255.255.255.255', null],
  ];
  const port = (target: 'v4' | 'v6' | null): number => (target === 'v6' ? v6?.port ?? v4.port : v4.port);

  it.each(vectors)('refuses %s before any request reaches a server', async (host, target) => {
    const download = createNodeDownloader({ allowHttp: true });
    const error = await rejection(download(`http://${host}:${port(target)}/video.mp4`));
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/Refusing to download/);
    expect(error.message).toMatch(/allowPrivateNetwork: true/);
    expect(v4.requests).toHaveLength(0);
    expect(v6?.requests ?? []).toHaveLength(0);
  });

  it.each(vectors.filter(([, target]) => target !== null))('control: %s does reach the loopback server with allowPrivateNetwork', async (host, target) => {
    if (target === 'v6' && !v6) return;
    const download = createNodeDownloader({ allowHttp: true, allowPrivateNetwork: true });
    const response = await download(`http://${host}:${port(target)}/video.mp4`);
    expect(response.status).toBe(200);
    expect((await readAll(response.body)).byteLength).toBe(1000);
    expect((target === 'v6' ? v6! : v4).requests).toHaveLength(1);
  });

  it('refuses non-http schemes and plain http', async () => {
    const download = createNodeDownloader({ allowPrivateNetwork: true });
    expect((await rejection(download(`${v4.origin}/a.mp4`))).message).toMatch(/plain http is not allowed/);
    expect((await rejection(download('file:///etc/passwd'))).message).toMatch(/scheme file: is not allowed/);
    expect(v4.requests).toHaveLength(0);
  });

  it('a trusted origin is fetched as it is (http on loopback)', async () => {
    const download = createNodeDownloader({ trustedOrigins: [v4.origin] });
    const response = await download(`${v4.origin}/video.mp4`);
    expect(response.status).toBe(200);
    await response.body.cancel();
    expect(v4.requests).toHaveLength(1);
  });
});

describe('createNodeDownloader: address check at connect time', () => {
  const toLoopback = async (hostname: string) => (hostname === 'video.example' ? [{ address: '127.0.0.1', family: 4 }] : []);

  it('refuses a public-looking name that resolves to loopback, without connecting', async () => {
    const url = `http://video.example:${v4.port}/video.mp4`;
    // The URL itself passes the literal check: only the connect-time check can catch it.
    expect(() => checkDownloadUrl(url, { allowHttp: true })).not.toThrow();
    const download = createNodeDownloader({ allowHttp: true, resolve: toLoopback });
    const error = await rejection(download(url));
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/video\.example resolves to 127\.0\.0\.1, which is a loopback address/);
    expect(v4.requests).toHaveLength(0);
  });

  it('refuses a name when any of its addresses is private, even if another is public', async () => {
    const download = createNodeDownloader({
      resolve: async () => [{ address: '93.184.216.34', family: 4 }, { address: '::ffff:169.254.169.254', family: 6 }],
    });
    const error = await rejection(download('https://mixed.example/video.mp4'));
    expect(error.message).toMatch(/resolves to ::ffff:169\.254\.169\.254/);
  });

  it('resolves every request again (no cached answer to rebind around)', async () => {
    let calls = 0;
    const download = createNodeDownloader({ allowHttp: true, resolve: async () => { calls++; return [{ address: '127.0.0.1', family: 4 }]; } });
    await rejection(download(`http://rebind.example:${v4.port}/a`));
    await rejection(download(`http://rebind.example:${v4.port}/a`));
    expect(calls).toBe(2);
    expect(v4.requests).toHaveLength(0);
  });

  it('connects to the resolved address when private networks are allowed', async () => {
    const download = createNodeDownloader({ allowHttp: true, allowPrivateNetwork: true, resolve: toLoopback });
    const response = await download(`http://video.example:${v4.port}/video.mp4`);
    expect(response.status).toBe(200);
    await response.body.cancel();
    expect(v4.requests[0]?.headers.host).toBe(`video.example:${v4.port}`);
  });

  describe('with the system resolver', () => {
    const name = os.hostname();
    let resolvesToLoopback = false;
    beforeAll(async () => {
      try {
        const addresses = await dns.lookup(name, { all: true });
        resolvesToLoopback = addresses.length > 0 && addresses.every((a) => a.address.startsWith('127.') || a.address === '::1');
      } catch {
        resolvesToLoopback = false;
      }
      if (!resolvesToLoopback) {
        const why = `this machine's host name ${JSON.stringify(name)} does not resolve to loopback only`;
        if (REQUIRE_ALL) throw new Error(`VG_REQUIRE_ALL=1: ${why}`);
        console.warn(`Skipping the system-resolver connect-time test: ${why}.`);
      }
    });

    it('refuses the host name when the system resolver maps it to loopback', async (context) => {
      if (!resolvesToLoopback) return context.skip();
      const download = createNodeDownloader({ allowHttp: true });
      const error = await rejection(download(`http://${name}:${v4.port}/video.mp4`));
      expect(error.message).toMatch(/resolves to 127\./);
      expect(v4.requests).toHaveLength(0);
    });
  });
});

describe('createNodeDownloader: redirects', () => {
  let a: LoopbackServer;
  let b: LoopbackServer;
  let target = '';
  beforeAll(async () => {
    b = await startServer(ok);
    a = await startServer((req, res) => {
      if (req.url === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
      if (req.url === '/same') return void res.writeHead(307, { location: '/final' }).end();
      if (req.url === '/final') return ok(req, res, 0);
      if (req.url === '/nolocation') return void res.writeHead(302).end();
      res.writeHead(302, { location: target }).end();
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });
  afterEach(() => {
    a.requests.length = 0;
    b.requests.length = 0;
  });

  it('refuses a hop from a trusted origin to an untrusted loopback server; that server sees nothing', async () => {
    target = `${b.origin}/video.mp4`;
    const download = createNodeDownloader({ trustedOrigins: [a.origin] });
    const error = await rejection(download(`${a.origin}/go`));
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/Refusing the redirect from http:\/\/127\.0\.0\.1:\d+\/go/);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(0);
  });

  it('refuses a hop to an IP-literal alias of loopback', async () => {
    target = `http://2130706433:${b.port}/video.mp4`;
    const download = createNodeDownloader({ allowHttp: true, trustedOrigins: [a.origin] });
    const error = await rejection(download(`${a.origin}/go`));
    expect(error.message).toMatch(/loopback/);
    expect(b.requests).toHaveLength(0);
  });

  it('follows same-origin redirects keeping the headers, and drops credentials on another origin', async () => {
    const download = createNodeDownloader({ allowHttp: true, allowPrivateNetwork: true });
    const headers = { Authorization: 'Bearer secret', 'X-Api-Key': 'k', Cookie: 'c=1', Accept: 'video/*' };
    const same = await download(`${a.origin}/same`, { headers });
    expect(same.status).toBe(200);
    expect(same.finalUrl).toBe(`${a.origin}/final`);
    await same.body.cancel();
    expect(a.requests[1]?.headers.authorization).toBe('Bearer secret');

    target = `${b.origin}/video.mp4`;
    const cross = await download(`${a.origin}/go`, { headers, offset: 10 });
    expect(cross.status).toBe(200);
    expect(cross.finalUrl).toBe(target);
    await cross.body.cancel();
    const seen = b.requests[0]!.headers;
    expect(seen.authorization).toBeUndefined();
    expect(seen['x-api-key']).toBeUndefined();
    expect(seen.cookie).toBeUndefined();
    expect(seen.accept).toBe('video/*');
    expect(seen.range).toBe('bytes=10-');
  });

  it('stops after maxRedirects', async () => {
    const download = createNodeDownloader({ trustedOrigins: [a.origin], maxRedirects: 3 });
    const error = await rejection(download(`${a.origin}/loop`));
    expect(error.message).toMatch(/Too many redirects .*more than 3/);
    expect(a.requests).toHaveLength(4);
  });

  it('fails clearly on a redirect without Location', async () => {
    const download = createNodeDownloader({ trustedOrigins: [a.origin] });
    expect((await rejection(download(`${a.origin}/nolocation`))).message).toMatch(/no Location header/);
  });
});

describe('createNodeDownloader: https → http downgrade', () => {
  let dir = '';
  let cert = '';
  let tls: https.Server | undefined;
  let tlsOrigin = '';
  let plain: LoopbackServer;
  beforeAll(async () => {
    plain = await startServer(ok);
    dir = mkdtempSync(join(os.tmpdir(), 'vg-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
        '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    } catch {
      const why = 'openssl is not available to make a test certificate';
      if (REQUIRE_ALL) throw new Error(`VG_REQUIRE_ALL=1: ${why}`);
      console.warn(`Skipping the https downgrade tests: ${why}.`);
      return;
    }
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      if (req.url === '/file') return ok(req, res, 0);
      res.writeHead(302, { location: `${plain.origin}/video.mp4` }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    tls = server;
    tlsOrigin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await plain.close();
    if (tls) {
      tls.closeAllConnections();
      await new Promise((resolve) => tls!.close(resolve));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    plain.requests.length = 0;
  });

  it('downloads over https with a private CA', async (context) => {
    if (!tls) return context.skip();
    const download = createNodeDownloader({ allowPrivateNetwork: true, ca: cert });
    const response = await download(`${tlsOrigin}/file`);
    expect(response.status).toBe(200);
    expect((await readAll(response.body)).byteLength).toBe(1000);
  });

  it('refuses the downgrade without allowHttp, even to a trusted http origin', async (context) => {
    if (!tls) return context.skip();
    const download = createNodeDownloader({ allowPrivateNetwork: true, ca: cert, trustedOrigins: [plain.origin] });
    const error = await rejection(download(`${tlsOrigin}/go`));
    expect(error.message).toMatch(/downgrades https to plain http/);
    expect(plain.requests).toHaveLength(0);
  });

  it('follows the downgrade with allowHttp', async (context) => {
    if (!tls) return context.skip();
    const download = createNodeDownloader({ allowPrivateNetwork: true, allowHttp: true, ca: cert });
    const response = await download(`${tlsOrigin}/go`);
    expect(response.status).toBe(200);
    await response.body.cancel();
    expect(plain.requests).toHaveLength(1);
  });
});

describe('createNodeDownloader: transfer', () => {
  const body = videoBytes(3 * 1024 * 1024, 7);
  let server: LoopbackServer;
  let mode: 'ok' | 'cut' | 'stall-body' | 'stall-headers' = 'ok';
  beforeAll(async () => {
    const serve = fileHandler(body, { ranges: true });
    const cut = fileHandler(body, { cutAfter: () => 100_000 });
    server = await startServer((req, res, i) => {
      if (mode === 'cut') return cut(req, res, i);
      if (mode === 'stall-headers') return; // never answers
      if (mode === 'stall-body') return void res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '100' }).write('x');
      serve(req, res, i);
    });
  });
  afterAll(() => server.close());
  afterEach(() => {
    mode = 'ok';
    server.requests.length = 0;
  });
  const download = () => createNodeDownloader({ trustedOrigins: [server.origin], timeoutMs: 500 });

  it('streams the body unchanged and exposes status and headers', async () => {
    const response = await download()(`${server.origin}/v.mp4`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(response.headers.get('content-length')).toBe(String(body.byteLength));
    expect(Buffer.compare(await readAll(response.body), body)).toBe(0);
    expect(server.requests[0]?.headers.range).toBeUndefined();
  });

  it('asks for a range when offset > 0', async () => {
    const response = await download()(`${server.origin}/v.mp4`, { offset: 1_000_000 });
    expect(server.requests[0]?.headers.range).toBe('bytes=1000000-');
    expect(response.status).toBe(206);
    expect(Buffer.compare(await readAll(response.body), body.subarray(1_000_000))).toBe(0);
  });

  it('errors the body with a retryable download_failed when the connection is cut', async () => {
    mode = 'cut';
    const response = await download()(`${server.origin}/v.mp4`);
    const error = await rejection(readAll(response.body));
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(true);
  });

  it('times out an idle body and idle headers', async () => {
    mode = 'stall-body';
    const response = await download()(`${server.origin}/v.mp4`);
    const error = await rejection(readAll(response.body));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/timeoutMs/);
    mode = 'stall-headers';
    const early = await rejection(download()(`${server.origin}/v.mp4`));
    expect(early.message).toMatch(/timeoutMs/);
  });

  it('maps a refused connection to a retryable download_failed', async () => {
    const closed = await startServer(ok);
    await closed.close();
    const error = await rejection(createNodeDownloader({ trustedOrigins: [closed.origin] })(`${closed.origin}/v.mp4`));
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('rejects with cancelled when the signal aborts', async () => {
    mode = 'stall-headers';
    const controller = new AbortController();
    const pending = createNodeDownloader({ trustedOrigins: [server.origin], timeoutMs: 10_000 })(`${server.origin}/v.mp4`, { signal: controller.signal });
    setImmediate(() => controller.abort());
    expect((await rejection(pending)).code).toBe('cancelled');
  });
});
