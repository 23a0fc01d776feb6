import { describe, expect, it } from 'vitest';
import { GalleryError } from '@video-gallery/core';
import { veoContentPolicyError, veoHttpError, veoOperationError, retryDelayFromDetails, VEO_DEFAULT_RETRY_AFTER_MS } from './veo-error.js';
import duration400 from './__fixtures__/error-400-duration.json' with { type: 'json' };
import quota429 from './__fixtures__/error-429.json' with { type: 'json' };
import precondition400 from './__fixtures__/error-400-failed-precondition.json' with { type: 'json' };

const body = (value: unknown) => JSON.stringify(value);
const google = (code: number, status: string, message = 'm') => body({ error: { code, status, message } });

describe('veoHttpError', () => {
  it('400 INVALID_ARGUMENT → invalid_input with the message and the field it names', () => {
    const error = veoHttpError(400, body(duration400), { context: 'start' });
    expect(GalleryError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'invalid_input', retryable: false, field: 'durationSeconds', status: 400, providerCode: 'INVALID_ARGUMENT' });
    expect(error.message).toContain('between 4 and 8');
  });

  it('400 FAILED_PRECONDITION about billing → quota_exceeded explaining the paid tier', () => {
    const error = veoHttpError(400, body(precondition400), { context: 'start' });
    expect(error).toMatchObject({ code: 'quota_exceeded', retryable: false, providerCode: 'FAILED_PRECONDITION' });
    expect(error.message).toMatch(/paid tier/);
  });

  it('400 FAILED_PRECONDITION about anything else → auth_failed', () => {
    const error = veoHttpError(400, google(400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.'), { context: 'start' });
    expect(error).toMatchObject({ code: 'auth_failed', retryable: false });
    expect(error.message).toContain('User location is not supported');
  });

  it.each([401, 403])('%i → auth_failed naming GEMINI_API_KEY', (status) => {
    const error = veoHttpError(status, google(status, 'PERMISSION_DENIED', 'API key not valid.'), { context: 'status' });
    expect(error).toMatchObject({ code: 'auth_failed', retryable: false, status });
    expect(error.message).toContain('GEMINI_API_KEY');
  });

  it('400 INVALID_ARGUMENT with reason API_KEY_INVALID (how Google answers a bad key) → auth_failed', () => {
    const text = body({ error: { code: 400, status: 'INVALID_ARGUMENT', message: 'API key not valid. Please pass a valid API key.', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }] } });
    expect(veoHttpError(400, text, { context: 'start' })).toMatchObject({ code: 'auth_failed', retryable: false });
  });

  it('400 INVALID_ARGUMENT refusing the content at submit → content_policy', () => {
    const text = google(400, 'INVALID_ARGUMENT', "The prompt could not be submitted. This prompt contains words that violate Vertex AI's usage guidelines.");
    expect(veoHttpError(400, text, { context: 'start' })).toMatchObject({ code: 'content_policy', retryable: false });
  });

  it('404 → unsupported model at start, expired for an operation', () => {
    const text = google(404, 'NOT_FOUND', 'models/veo-9 is not found');
    expect(veoHttpError(404, text, { context: 'start', model: 'veo-9' })).toMatchObject({ code: 'unsupported', retryable: false });
    expect(veoHttpError(404, text, { context: 'status' })).toMatchObject({ code: 'expired', retryable: false });
  });

  it('429 RESOURCE_EXHAUSTED → rate_limited with Retry-After, RetryInfo, or the default', () => {
    expect(veoHttpError(429, body(quota429), { context: 'start', retryAfterMs: 5000 })).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 5000 });
    expect(veoHttpError(429, body(quota429), { context: 'start' })).toMatchObject({ retryAfterMs: VEO_DEFAULT_RETRY_AFTER_MS });
    const withInfo = body({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'slow down', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12.5s' }] } });
    expect(veoHttpError(429, withInfo, { context: 'status' })).toMatchObject({ retryAfterMs: 12_500 });
  });

  it.each([500, 502, 503])('%i → retryable provider_error', (status) => {
    expect(veoHttpError(status, google(status, 'UNAVAILABLE'), { context: 'status' })).toMatchObject({ code: 'provider_error', retryable: true });
  });

  it('a non-JSON body keeps a raw snippet for logs', () => {
    const error = veoHttpError(502, '<html>Bad gateway</html>', { context: 'status' });
    expect(error).toMatchObject({ code: 'provider_error', retryable: true, raw: '<html>Bad gateway</html>' });
  });
});

describe('veoOperationError (numeric gRPC codes)', () => {
  it.each([
    [3, 'invalid_input', false],
    [8, 'rate_limited', true],
    [13, 'provider_error', true],
    [14, 'provider_error', true],
    [4, 'timeout', true],
    [7, 'auth_failed', false],
    [1, 'cancelled', false],
  ] as const)('code %i → %s (retryable %s)', (code, expected, retryable) => {
    const error = veoOperationError({ code, message: 'boom' });
    expect(error).toMatchObject({ code: expected, retryable });
    expect(error.message).toContain('boom');
  });
});

describe('veoContentPolicyError', () => {
  it('carries every reason Google gave', () => {
    const error = veoContentPolicyError(2, ['audio issue', 'person issue']);
    expect(error).toMatchObject({ code: 'content_policy', retryable: false });
    expect(error.message).toContain('audio issue');
    expect(error.message).toContain('person issue');
  });
});

describe('retryDelayFromDetails', () => {
  it('ignores details that are not RetryInfo', () => {
    expect(retryDelayFromDetails([{ '@type': 'type.googleapis.com/google.rpc.Help' }])).toBeUndefined();
    expect(retryDelayFromDetails(undefined)).toBeUndefined();
  });
});
