import { describe, expect, it } from 'vitest';
import { isCloudflare1010, kieCloudflareError, kieError, kieTaskFailure, KIE_DEFAULT_RETRY_AFTER_MS } from './kie-error.js';

const at = (code: number, message: string) => kieError(code, message, { httpStatus: 200, context: 'status' });

describe('kieError (body code or HTTP status)', () => {
  it.each([
    [401, 'You do not have access permissions', 'auth_failed', false],
    [402, 'Credits insufficient', 'quota_exceeded', false],
    [404, 'not found', 'not_found', false],
    [408, 'no result for more than 10 min', 'timeout', true],
    [422, 'record is null', 'not_found', false],
    [422, 'Temporarily supports records within 14 days', 'expired', false],
    [422, 'Your request was rejected by Flow(unsafe)', 'content_policy', false],
    [422, 'prompt is required', 'invalid_input', false],
    [400, 'Your prompt was flagged as violating content policies', 'content_policy', false],
    [400, 'Only English prompts are supported', 'invalid_input', false],
    [451, 'Failed to fetch the image', 'invalid_input', false],
    [455, 'Service unavailable', 'provider_error', true],
    [500, 'Internal Error, Please try again later.', 'provider_error', true],
    [505, 'feature disabled', 'unsupported', false],
  ] as const)('%i %s → %s', (code, message, expected, retryable) => {
    const error = at(code, message);
    expect(error).toMatchObject({ code: expected, retryable, providerCode: String(code) });
    expect(error.message).toContain(message);
  });

  it('429 → rate_limited with a full 10 s window unless Retry-After says otherwise', () => {
    expect(at(429, 'too many')).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: KIE_DEFAULT_RETRY_AFTER_MS });
    expect(kieError(429, 'x', { httpStatus: 429, context: 'start', retryAfterMs: 3000 })).toMatchObject({ retryAfterMs: 3000 });
  });
});

describe('Cloudflare 1010', () => {
  it('is recognised only as a 403 with that text, and explains the User-Agent', () => {
    expect(isCloudflare1010(403, 'error code: 1010')).toBe(true);
    expect(isCloudflare1010(403, '{"code":403}')).toBe(false);
    expect(isCloudflare1010(401, 'error code: 1010')).toBe(false);
    const error = kieCloudflareError('error code: 1010');
    expect(error).toMatchObject({ code: 'auth_failed', retryable: false, status: 403 });
    expect(error.message).toContain('User-Agent');
  });
});

describe('kieTaskFailure', () => {
  it('400 with a policy message → content_policy; 400 otherwise → invalid_input', () => {
    expect(kieTaskFailure(400, 'Your prompt was flagged by Website as violating content policies.', { successFlag: 2 })).toMatchObject({ code: 'content_policy', retryable: false });
    expect(kieTaskFailure(400, 'Only English is supported', { successFlag: 2 })).toMatchObject({ code: 'invalid_input', retryable: false });
  });
  it('500 / 501 (and string codes from the jobs API) → retryable provider_error', () => {
    expect(kieTaskFailure(500, 'timeout', { successFlag: 3 })).toMatchObject({ code: 'provider_error', retryable: true, providerCode: '500' });
    expect(kieTaskFailure('501', 'generation failed')).toMatchObject({ code: 'provider_error', retryable: true, providerCode: '501' });
  });
  it('keeps a non-numeric failCode as the provider code', () => {
    expect(kieTaskFailure('UPSTREAM_ERR', '')).toMatchObject({ code: 'provider_error', providerCode: 'UPSTREAM_ERR' });
  });
});
