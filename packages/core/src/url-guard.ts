import ipaddr from 'ipaddr.js';
import { GalleryError } from './errors.js';

/** Options of {@link checkDownloadUrl}. Everything defaults to the strict setting. */
export interface DownloadGuardOptions {
  /** Allow plain `http:` URLs (any host that is otherwise allowed). Default `false`: only `https:`. */
  allowHttp?: boolean;
  /**
   * Allow hosts in loopback, private, link-local and other non-public ranges, and `localhost`.
   * Default `false`. Tests and local development that serve results from `127.0.0.1` opt in with this.
   */
  allowPrivateNetwork?: boolean;
  /**
   * Origins (`scheme://host[:port]`) that are trusted as they are, typically the base URL a provider was
   * configured with (a regional endpoint, a proxy, a mock server on loopback). A URL with one of these origins
   * passes every check, `http:` included. Default: none.
   */
  trustedOrigins?: readonly string[];
}

const IPV6_SITE_LOCAL = ipaddr.IPv6.parseCIDR('fec0::/10');
/** Embedded IPv4 address of an IPv4-mapped, -translated, -compatible, NAT64 or 6to4 IPv6 address. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = address.parts;
  const range = address.range();
  const low = (): ipaddr.IPv4 => new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return low();
  if (range === '6to4') return new ipaddr.IPv4([p[1]! >> 8, p[1]! & 0xff, p[2]! >> 8, p[2]! & 0xff]);
  // IPv4-compatible (deprecated) ::a.b.c.d; `::` and `::1` are classified as unspecified / loopback before this.
  if (p.slice(0, 6).every((part) => part === 0)) return low();
  return null;
}

/** Why an address is not a public unicast one, or `null` when it is. */
function forbiddenReason(address: ipaddr.IPv4 | ipaddr.IPv6): string | null {
  if (address.kind() === 'ipv4') {
    const range = (address as ipaddr.IPv4).range();
    return range === 'unicast' ? null : describeRange(range);
  }
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'unspecified' || range === 'loopback' || range === 'linkLocal' || range === 'multicast' || range === 'uniqueLocal') {
    return describeRange(range);
  }
  if (range === 'teredo') return 'a Teredo tunnel address (it can embed any IPv4 address)';
  const inner = embeddedIPv4(v6);
  if (inner) {
    const innerReason = forbiddenReason(inner);
    if (innerReason) return `an IPv6 form (${range === 'unicast' ? 'IPv4-compatible' : range}) of ${inner.toString()}, which is ${innerReason}`;
    // The deprecated IPv4-compatible form is never routed on the public internet.
    return range === 'unicast' ? 'a deprecated IPv4-compatible IPv6 address' : null;
  }
  if (range === 'unicast') return v6.match(IPV6_SITE_LOCAL) ? 'a site-local address (fec0::/10)' : null;
  return describeRange(range);
}

function describeRange(range: string): string {
  switch (range) {
    case 'loopback': return 'a loopback address';
    case 'private': return 'a private-network address (RFC 1918)';
    case 'carrierGradeNat': return 'a carrier-grade NAT address (100.64.0.0/10)';
    case 'uniqueLocal': return 'a unique-local address (fc00::/7)';
    case 'linkLocal': return 'a link-local address (this includes cloud metadata endpoints such as 169.254.169.254)';
    case 'unspecified': return 'an unspecified address (0.0.0.0/8 or ::)';
    case 'multicast': return 'a multicast address';
    case 'broadcast': return 'the broadcast address';
    default: return `a reserved, non-public address (${range})`;
  }
}

function parseIp(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!ipaddr.isValid(bare)) return null;
  try {
    return ipaddr.parse(bare);
  } catch {
    return null;
  }
}

/**
 * True when `ip` must not be downloaded from: loopback, private (RFC 1918), carrier-grade NAT, unique-local,
 * link-local (cloud metadata), unspecified, multicast, broadcast, reserved or documentation ranges, the IPv6
 * forms that embed such an IPv4 address (IPv4-mapped, -compatible, NAT64, 6to4), and Teredo. Also true for
 * a string that is not an IP address at all (fails closed). Accepts legacy IPv4 spellings (`127.1`,
 * `0x7f000001`, `2130706433`) and bracketed IPv6.
 */
export function isForbiddenAddress(ip: string): boolean {
  const address = parseIp(ip);
  return address === null || forbiddenReason(address) !== null;
}

/** The reason an address is forbidden, for error messages; `null` when it is public. @internal */
export function forbiddenAddressReason(ip: string): string | null {
  const address = parseIp(ip);
  if (address === null) return 'not an IP address';
  return forbiddenReason(address);
}

function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.+$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || name === 'localhost.localdomain';
}

/** A URL for messages: origin and path, never the query (it often holds a signature). */
export function describeUrl(url: URL): string {
  const path = url.pathname.length > 80 ? `${url.pathname.slice(0, 77)}...` : url.pathname;
  const origin = url.origin !== 'null' ? url.origin : `${url.protocol}${url.host ? `//${url.host}` : ''}`;
  return `${origin}${path}${url.search ? '?…' : ''}`;
}

/** Normalised trusted origins; throws `invalid_input` for an entry that is not an http(s) URL. @internal */
export function normaliseOrigins(origins: readonly string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const origin of origins ?? []) {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new GalleryError('invalid_input', `trustedOrigins: ${JSON.stringify(origin)} is not a URL. Give the scheme, host and port, for example "http://127.0.0.1:8080".`, { field: 'trustedOrigins', retryable: false });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new GalleryError('invalid_input', `trustedOrigins: ${JSON.stringify(origin)} is not an http(s) origin.`, { field: 'trustedOrigins', retryable: false });
    }
    out.add(parsed.origin);
  }
  return out;
}

function refuse(url: URL | string, why: string, howToAllow: string): never {
  const shown = typeof url === 'string' ? JSON.stringify(url.length > 100 ? `${url.slice(0, 97)}...` : url) : describeUrl(url);
  throw new GalleryError('download_failed', `Refusing to download ${shown}: ${why}. ${howToAllow}`, { retryable: false });
}

const ALLOW_PRIVATE = 'Results must come from a public address; to download from a private network (tests, local development) pass allowPrivateNetwork: true, or add the origin to trustedOrigins (a provider\'s configured base URL is trusted automatically).';

/**
 * Checks a URL before anything is downloaded from it (server-side request forgery guard) and returns it
 * parsed. Throws `GalleryError('download_failed', retryable: false)` naming the reason and how to allow it for:
 * a scheme other than `http:` / `https:`; `http:` unless `allowHttp`; `localhost` / `*.localhost`; and a host that
 * is an IP literal in a non-public range (see {@link isForbiddenAddress}), whatever its spelling, unless
 * `allowPrivateNetwork`. A URL whose origin is in `trustedOrigins` is allowed as it is.
 *
 * This only looks at the URL: a host *name* that resolves to a private address is caught at connect time by
 * the Node downloader (`createNodeDownloader` from `@video-gallery/core/node`).
 */
export function checkDownloadUrl(url: string, options: DownloadGuardOptions = {}): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse(url, 'it is not a valid absolute URL', 'Give an absolute https:// URL.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return refuse(parsed, `the scheme ${parsed.protocol} is not allowed`, 'Only https:// (and, with allowHttp: true, http://) URLs can be downloaded.');
  }
  if (isTrustedUrl(parsed, normaliseOrigins(options.trustedOrigins))) return parsed;
  if (parsed.protocol === 'http:' && options.allowHttp !== true) {
    return refuse(parsed, 'plain http is not allowed', 'Use https://, pass allowHttp: true, or add the origin to trustedOrigins.');
  }
  if (options.allowPrivateNetwork === true) return parsed;
  const host = parsed.hostname;
  if (isLocalhostName(host)) return refuse(parsed, `the host ${host} is a local name`, ALLOW_PRIVATE);
  const address = parseIp(host);
  if (address) {
    const reason = forbiddenReason(address);
    if (reason) return refuse(parsed, `the host ${host} is ${reason}`, ALLOW_PRIVATE);
  }
  return parsed;
}

/** True when the URL's origin is one of `trusted` (already normalised). @internal */
export function isTrustedUrl(url: URL, trusted: ReadonlySet<string>): boolean {
  return trusted.size > 0 && trusted.has(url.origin);
}
