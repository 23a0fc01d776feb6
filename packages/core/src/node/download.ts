import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DEFAULT_MAX_REDIRECTS, REDIRECT_STATUSES, initialHeaders, networkError, nextHop } from '../download-shared.js';
import { GalleryError } from '../errors.js';
import type { Downloader, DownloadResponse } from '../rehost.js';
import { checkDownloadUrl, describeUrl, forbiddenAddressReason, isTrustedUrl, normaliseOrigins, type DownloadGuardOptions } from '../url-guard.js';

/** Options of {@link createNodeDownloader}. */
export interface NodeDownloaderOptions extends DownloadGuardOptions {
  /** Redirect hops to follow, each checked again. Default 5. */
  maxRedirects?: number;
  /** Fail when the connection is idle this long, while connecting or mid-body (ms). Default 30 000. */
  timeoutMs?: number;
  /** `User-Agent` header. Default `video-gallery (+download)`. */
  userAgent?: string;
  /**
   * Resolves a host name to its addresses. Default: the system resolver (`dns.lookup`). Every address is
   * checked before connecting; tests inject names that resolve to loopback with this.
   */
  resolve?: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
  /** Extra certificate authorities for https (a private CA of a proxy or a test server). Default: Node's. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
}

/**
 * A {@link Downloader} on `node:http` / `node:https`, the strongest of the two built-in downloaders:
 *
 * - every URL, and every redirect hop, passes `checkDownloadUrl` (scheme, http, IP literals in any spelling,
 *   `localhost`), with https → http downgrades refused unless `allowHttp`;
 * - the host name is resolved by the downloader itself and **every address is checked at connect time**, so a
 *   public-looking name that resolves (or rebinds) to a loopback, private, link-local or metadata address is
 *   refused before a connection is made; the connection then goes to exactly the checked address;
 * - caller headers other than `Accept*`, `User-Agent`, `Range` and `If-Range` are dropped on a redirect to another
 *   origin; `Range: bytes=<offset>-` is sent when `offset` > 0;
 * - an idle timeout covers connecting and the body; a cut body errors with a retryable `download_failed`.
 *
 * A URL whose origin is in `trustedOrigins` skips the address checks (a provider's base URL on loopback).
 */
export function createNodeDownloader(options: NodeDownloaderOptions = {}): Downloader {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const guard = { allowHttp: options.allowHttp, allowPrivateNetwork: options.allowPrivateNetwork, trustedOrigins: options.trustedOrigins, maxRedirects };
  const trusted = normaliseOrigins(options.trustedOrigins);
  const defaults = { 'user-agent': options.userAgent ?? 'video-gallery (+download)', 'accept-encoding': 'identity' };

  return async (url, request = {}) => {
    let current = checkDownloadUrl(url, guard);
    let headers = initialHeaders(request.headers, request.offset, defaults);
    for (let hop = 0; ; hop++) {
      const checkAddresses = options.allowPrivateNetwork !== true && !isTrustedUrl(current, trusted);
      const { response, lateError } = await requestOnce(current, headers, request.signal, { timeoutMs, checkAddresses, resolve: options.resolve, ca: options.ca });
      if (REDIRECT_STATUSES.has(response.statusCode ?? 0)) {
        response.destroy();
        ({ url: current, headers } = nextHop(current, response.headers.location, headers, hop, guard));
        continue;
      }
      return toDownloadResponse(response, current, request.signal, lateError);
    }
  };
}

interface HopOptions {
  timeoutMs: number;
  checkAddresses: boolean;
  resolve: NodeDownloaderOptions['resolve'];
  ca: NodeDownloaderOptions['ca'];
}

interface Hop {
  response: IncomingMessage;
  /** The error the request was destroyed with after the response arrived (an idle timeout), if any. */
  lateError: () => GalleryError | undefined;
}

function requestOnce(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, options: HopOptions): Promise<Hop> {
  return new Promise((resolve, reject) => {
    let refused: GalleryError | undefined;
    let timedOut: GalleryError | undefined;
    let answered = false;
    const lookup = options.checkAddresses || options.resolve
      ? guardedLookup(url, options, (error) => { refused = error; })
      : undefined;
    const transport = url.protocol === 'https:' ? https : http;
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const requestOptions: https.RequestOptions = {
      protocol: url.protocol,
      hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers,
      // A private agent: no socket connected by someone else's (unchecked) lookup is ever reused.
      agent: false,
      // Socket idle timeout: applies while connecting, waiting for headers and reading the body.
      timeout: options.timeoutMs,
    };
    if (lookup) requestOptions.lookup = lookup;
    if (signal) requestOptions.signal = signal;
    if (options.ca !== undefined && url.protocol === 'https:') requestOptions.ca = toCa(options.ca);
    const req = transport.request(requestOptions);
    req.on('timeout', () => {
      timedOut = new GalleryError('download_failed', `${describeUrl(url)} sent nothing for ${options.timeoutMs} ms (timeoutMs).`, { retryable: true });
      req.destroy(timedOut);
    });
    req.once('response', (response: IncomingMessage) => {
      answered = true;
      resolve({ response, lateError: () => timedOut });
    });
    // `on`, not `once`: a late error (after the response) must not become an uncaught exception; the body
    // stream reports it through the response.
    req.on('error', (error) => {
      if (!answered) reject(refused ?? timedOut ?? networkError(error, url, signal));
    });
    req.end();
  });
}

/** A `lookup` that resolves the name, refuses it when any address is forbidden, and connects to the checked ones. */
function guardedLookup(url: URL, options: HopOptions, onRefused: (error: GalleryError) => void): LookupFunction {
  return (hostname: string, lookupOptions: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    const resolving = options.resolve ? options.resolve(hostname) : dns.lookup(hostname, { all: true, ...(lookupOptions.family ? { family: lookupOptions.family } : {}) });
    resolving.then(
      (found) => {
        const addresses = found.filter((a) => !lookupOptions.family || a.family === lookupOptions.family);
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
          callback(error, '', 0);
          return;
        }
        if (options.checkAddresses) {
          for (const { address } of addresses) {
            const reason = forbiddenAddressReason(address);
            if (reason) {
              const error = new GalleryError('download_failed', `Refusing to download ${describeUrl(url)}: the host ${hostname} resolves to ${address}, which is ${reason}. Results must come from a public address; to download from a private network (tests, local development) pass allowPrivateNetwork: true, or add the origin to trustedOrigins.`, { retryable: false });
              onRefused(error);
              callback(error as unknown as NodeJS.ErrnoException, '', 0);
              return;
            }
          }
        }
        if (lookupOptions.all) callback(null, addresses.map(({ address, family }) => ({ address, family })));
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

function toCa(ca: NonNullable<NodeDownloaderOptions['ca']>): Array<string | Buffer> {
  const list = Array.isArray(ca) ? ca : [ca];
  return list.map((entry) => (typeof entry === 'string' ? entry : Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength)));
}

function toHeaders(response: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header value the Fetch API rejects is left out; none of the ones the re-host reads can be like that.
    }
  }
  return headers;
}

/** Wraps the Node response in a Web stream with back-pressure; a cut connection errors it (retryable). */
function toDownloadResponse(response: IncomingMessage, url: URL, signal: AbortSignal | undefined, lateError: () => GalleryError | undefined): DownloadResponse {
  let settled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const fail = (error: unknown): void => {
          if (settled) return;
          settled = true;
          controller.error(lateError() ?? networkError(error, url, signal));
        };
        response.on('data', (chunk: Buffer) => {
          if (settled) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) response.pause();
        });
        response.once('end', () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        response.once('error', fail);
        response.once('close', () => {
          if (!response.complete) fail(new GalleryError('download_failed', `The connection to ${describeUrl(url)} closed before the body was complete.`, { retryable: true }));
        });
      },
      pull() {
        response.resume();
      },
      cancel() {
        settled = true;
        response.destroy();
      },
    },
    { highWaterMark: 1024 * 1024, size: (chunk) => chunk.byteLength },
  );
  return { status: response.statusCode ?? 0, headers: toHeaders(response), body, finalUrl: url.href };
}
