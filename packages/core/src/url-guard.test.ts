import { describe, expect, it } from 'vitest';
import { GalleryError } from './errors.js';
import { checkDownloadUrl, isForbiddenAddress } from './url-guard.js';

function refusal(url: string, options: Parameters<typeof checkDownloadUrl>[1] = {}): GalleryError {
  try {
    checkDownloadUrl(url, options);
  } catch (error) {
    if (GalleryError.isInstance(error)) return error;
    throw error;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe('checkDownloadUrl', () => {
  it('accepts public https URLs and returns them parsed', () => {
    const url = checkDownloadUrl('https://cdn.example.com/videos/a.mp4?sig=abc');
    expect(url).toBeInstanceOf(URL);
    expect(url.hostname).toBe('cdn.example.com');
    expect(checkDownloadUrl('https://8.8.8.8/x').hostname).toBe('8.8.8.8');
    expect(checkDownloadUrl('https://[2606:4700:4700::1111]/x').hostname).toBe('[2606:4700:4700::1111]');
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/a.mp4', 'data:video/mp4;base64,AAAA', 'javascript:alert(1)', 'gopher://example.com/', 'ws://example.com/'])(
    'refuses the scheme of %s',
    (url) => {
      const error = refusal(url, { allowHttp: true, allowPrivateNetwork: true });
      expect(error.code).toBe('download_failed');
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/scheme .* is not allowed/);
    },
  );

  it('refuses invalid URLs', () => {
    expect(refusal('not a url').message).toMatch(/not a valid absolute URL/);
  });

  it('refuses plain http unless allowHttp, and says how to allow it', () => {
    const error = refusal('http://example.com/a.mp4');
    expect(error.code).toBe('download_failed');
    expect(error.message).toMatch(/plain http is not allowed/);
    expect(error.message).toMatch(/allowHttp: true/);
    expect(checkDownloadUrl('http://example.com/a.mp4', { allowHttp: true }).protocol).toBe('http:');
  });

  it('never shows the query string (it may hold a signature)', () => {
    const error = refusal('http://example.com/a.mp4?X-Amz-Signature=secret');
    expect(error.message).not.toContain('secret');
  });

  // Each entry: a URL host spelling and the range the message must name. All are refused even with allowHttp.
  const vectors: Array<[string, RegExp]> = [
    ['127.0.0.1', /loopback/],
    ['127.1', /loopback/],
    ['0177.0.0.1', /loopback/],
    ['0x7f000001', /loopback/],
    ['0x7f.0.0.1', /loopback/],
    ['2130706433', /loopback/],
    ['127.255.255.254', /loopback/],
    ['0', /unspecified/],
    ['0.0.0.0', /unspecified/],
    ['10.0.0.1', /private-network/],
    ['172.16.5.4', /private-network/],
    ['192.168.1.1', /private-network/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['169.254.169.254', /link-local.*metadata/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['240.0.0.1', /reserved/],
    ['192.0.2.1', /reserved/],
    ['198.18.0.1', /reserved/],
    ['[::1]', /loopback/],
    ['[::]', /unspecified/],
    ['[fc00::1]', /unique-local/],
    ['[fd12:3456::1]', /unique-local/],
    ['[fe80::1]', /link-local/],
    ['[fec0::1]', /site-local/],
    ['[ff02::1]', /multicast/],
    ['[::ffff:127.0.0.1]', /ipv4Mapped.*127\.0\.0\.1.*loopback/],
    ['[::ffff:7f00:1]', /ipv4Mapped.*loopback/],
    ['[0:0:0:0:0:ffff:169.254.169.254]', /ipv4Mapped.*169\.254\.169\.254.*link-local/],
    ['[::ffff:10.0.0.1]', /private-network/],
    ['[::127.0.0.1]', /IPv4-compatible.*loopback/],
    ['[::ffff:0:127.0.0.1]', /rfc6145.*loopback/],
    ['[64:ff9b::127.0.0.1]', /rfc6052.*loopback/],
    ['[64:ff9b::a9fe:a9fe]', /rfc6052.*169\.254\.169\.254/],
    ['[2002:7f00:1::]', /6to4.*loopback/],
    ['[2001:0:4136:e378:8000:63bf:3fff:fdd2]', /Teredo/],
    ['[2001:db8::1]', /reserved/],
    ['localhost', /local name/],
    ['LOCALHOST', /local name/],
    ['localhost.', /local name/],
    ['api.localhost', /local name/],
  ];

  it.each(vectors)('refuses host %s naming the reason and the way to allow it', (host, reason) => {
    const error = refusal(`http://${host}:8080/video.mp4`, { allowHttp: true });
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(reason);
    expect(error.message).toMatch(/allowPrivateNetwork: true/);
    expect(error.message).toMatch(/trustedOrigins/);
  });

  it.each(vectors)('allows host %s with allowPrivateNetwork', (host) => {
    expect(checkDownloadUrl(`http://${host}:8080/video.mp4`, { allowHttp: true, allowPrivateNetwork: true })).toBeInstanceOf(URL);
  });

  it('allowPrivateNetwork does not allow http by itself', () => {
    expect(refusal('http://127.0.0.1:8080/', { allowPrivateNetwork: true }).message).toMatch(/plain http/);
  });

  it('trusts a configured origin as it is, http and loopback included', () => {
    const trustedOrigins = ['http://127.0.0.1:4010/api/v1'];
    expect(checkDownloadUrl('http://127.0.0.1:4010/files/a.mp4', { trustedOrigins }).port).toBe('4010');
    // The whole origin must match: another port or scheme is not trusted.
    expect(refusal('http://127.0.0.1:4011/files/a.mp4', { trustedOrigins }).message).toMatch(/plain http/);
    expect(refusal('https://127.0.0.1:4010/files/a.mp4', { trustedOrigins }).message).toMatch(/loopback/);
    // Equivalent spellings normalise to the same origin.
    expect(checkDownloadUrl('http://2130706433:4010/a.mp4', { trustedOrigins }).hostname).toBe('127.0.0.1');
  });

  it('rejects a malformed trusted origin with invalid_input', () => {
    expect(() => checkDownloadUrl('https://example.com/', { trustedOrigins: ['127.0.0.1:80'] })).toThrow(/not an http\(s\) origin|not a URL/);
  });
});

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1', '127.1', '2130706433', '0x7f000001', '0177.0.0.1', '0', '0.0.0.0', '10.1.2.3', '172.31.255.255', '192.168.0.1',
    '100.127.255.255', '169.254.169.254', '224.0.0.251', '239.255.255.250', '255.255.255.255', '240.1.1.1', '203.0.113.7',
    '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fdff::1', 'ff02::fb', '::ffff:127.0.0.1', '::ffff:7f00:1',
    '::ffff:192.168.1.1', '::127.0.0.1', '64:ff9b::a00:1', '2002:a00:1::', '2001::1', '[::1]',
    'example.com', '', 'not-an-ip',
  ])('%s is forbidden', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    '%s is allowed',
    (ip) => {
      expect(isForbiddenAddress(ip)).toBe(false);
    },
  );
});
