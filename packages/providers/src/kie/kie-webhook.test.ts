import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { manualClock } from '../testing/mock-base.js';
import { serveHandler } from '../testing/serve.js';
import { createKieMock } from '../testing/kie-mock.js';
import { createKie } from './kie-video-provider.js';
import { constantTimeEqual, kieWebhookSignature } from './kie-webhook.js';

const HMAC_KEY = 'whsec-test-key';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const NOW_SECONDS = String(NOW / 1000);

function delivery(body: unknown, headers: Record<string, string>): Request {
  return new Request('https://app.example/api/gallery/webhooks/kie', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

const veoCallback = { code: 200, msg: 'Veo3.1 video generated successfully.', data: { taskId: 'veo_task_abcdef123456', info: { resultUrls: ['https://tempfile.aiquickdraw.com/v/a.mp4'] }, fallbackFlag: false } };

async function signed(body: typeof veoCallback | Record<string, unknown>, taskId: string, timestamp = NOW_SECONDS, key = HMAC_KEY): Promise<Request> {
  return delivery(body, { 'X-Webhook-Timestamp': timestamp, 'X-Webhook-Signature': await kieWebhookSignature(taskId, timestamp, key) });
}

describe('kie webhook signature', () => {
  it('is base64(HMAC-SHA256(taskId + "." + timestamp, key)), the same as node:crypto computes', async () => {
    const expected = createHmac('sha256', HMAC_KEY).update(`veo_task_abcdef123456.${NOW_SECONDS}`).digest('base64');
    expect(await kieWebhookSignature('veo_task_abcdef123456', NOW_SECONDS, HMAC_KEY)).toBe(expected);
  });

  it('constantTimeEqual compares whole strings', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});

describe('kie verifyWebhook', () => {
  const provider = () => createKie({ apiKey: 'k', webhookHmacKey: HMAC_KEY, now: () => NOW });

  it('accepts a valid delivery and returns the task to poll', async () => {
    expect(await provider().verifyWebhook(await signed(veoCallback, 'veo_task_abcdef123456'))).toEqual({
      task: { provider: 'kie', api: 'veo', taskId: 'veo_task_abcdef123456' },
    });
  });

  it('recognises a jobs-API callback by its task record', async () => {
    const body = { code: 200, msg: 'success', data: { taskId: 'task_1', model: 'kling/v2-1-standard', state: 'success', resultJson: '{"resultUrls":[]}' } };
    expect(await provider().verifyWebhook(await signed(body, 'task_1'))).toEqual({ task: { provider: 'kie', api: 'jobs', taskId: 'task_1', model: 'kling/v2-1-standard' } });
  });

  it('rejects a bad signature, a signature for another task and a wrong key', async () => {
    const verifier = provider();
    expect(await verifier.verifyWebhook(delivery(veoCallback, { 'X-Webhook-Timestamp': NOW_SECONDS, 'X-Webhook-Signature': 'AAAA' }))).toBeNull();
    expect(await verifier.verifyWebhook(await signed(veoCallback, 'some_other_task'))).toBeNull();
    expect(await verifier.verifyWebhook(await signed(veoCallback, 'veo_task_abcdef123456', NOW_SECONDS, 'wrong-key'))).toBeNull();
    expect(await verifier.verifyWebhook(delivery(veoCallback, { 'X-Webhook-Timestamp': NOW_SECONDS }))).toBeNull();
  });

  it('rejects stale and far-future timestamps (5-minute window by default)', async () => {
    const verifier = provider();
    const stale = String(NOW / 1000 - 301);
    const future = String(NOW / 1000 + 301);
    const edge = String(NOW / 1000 - 300);
    expect(await verifier.verifyWebhook(await signed(veoCallback, 'veo_task_abcdef123456', stale))).toBeNull();
    expect(await verifier.verifyWebhook(await signed(veoCallback, 'veo_task_abcdef123456', future))).toBeNull();
    expect(await verifier.verifyWebhook(await signed(veoCallback, 'veo_task_abcdef123456', edge))).not.toBeNull();
    const tight = createKie({ apiKey: 'k', webhookHmacKey: HMAC_KEY, now: () => NOW, webhookToleranceMs: 1_000 });
    expect(await tight.verifyWebhook(await signed(veoCallback, 'veo_task_abcdef123456', String(NOW / 1000 - 2)))).toBeNull();
  });

  it('ignores a duplicate delivery within the window but accepts a new one for the same task', async () => {
    const verifier = provider();
    const first = await signed(veoCallback, 'veo_task_abcdef123456');
    const again = await signed(veoCallback, 'veo_task_abcdef123456');
    expect(await verifier.verifyWebhook(first)).not.toBeNull();
    expect(await verifier.verifyWebhook(again)).toBeNull();
    expect(await verifier.verifyWebhook(await signed(veoCallback, 'veo_task_abcdef123456', String(NOW / 1000 + 1)))).not.toBeNull();
  });

  it('returns null when no HMAC key is configured (nothing can be verified)', async () => {
    const saved = process.env.KIE_WEBHOOK_HMAC_KEY;
    delete process.env.KIE_WEBHOOK_HMAC_KEY;
    try {
      const unkeyed = createKie({ apiKey: 'k', now: () => NOW });
      expect(await unkeyed.verifyWebhook(await signed(veoCallback, 'veo_task_abcdef123456'))).toBeNull();
    } finally {
      if (saved !== undefined) process.env.KIE_WEBHOOK_HMAC_KEY = saved;
    }
  });

  it('reads KIE_WEBHOOK_HMAC_KEY when no key is passed', async () => {
    const saved = process.env.KIE_WEBHOOK_HMAC_KEY;
    process.env.KIE_WEBHOOK_HMAC_KEY = HMAC_KEY;
    try {
      const fromEnv = createKie({ apiKey: 'k', now: () => NOW });
      expect(await fromEnv.verifyWebhook(await signed(veoCallback, 'veo_task_abcdef123456'))).not.toBeNull();
    } finally {
      if (saved === undefined) delete process.env.KIE_WEBHOOK_HMAC_KEY;
      else process.env.KIE_WEBHOOK_HMAC_KEY = saved;
    }
  });

  it('rejects bodies that are not JSON or carry no task id', async () => {
    const verifier = provider();
    const notJson = new Request('https://app.example/hook', { method: 'POST', headers: { 'X-Webhook-Timestamp': NOW_SECONDS, 'X-Webhook-Signature': 'x' }, body: 'not json' });
    expect(await verifier.verifyWebhook(notJson)).toBeNull();
    expect(await verifier.verifyWebhook(await signed({ code: 200, data: {} }, ''))).toBeNull();
  });
});

describe('kie mock callbacks, end to end over loopback', () => {
  it('the mock POSTs a signed callback to callBackUrl that the provider verifies', async () => {
    // One stopped clock for both sides, so the redelivery below carries the very same timestamp.
    const clock = manualClock(NOW);
    const mock = createKieMock({ webhookHmacKey: HMAC_KEY, pendingPolls: 1, clock });
    const api = await mock.listen();
    const verified: unknown[] = [];
    let provider: ReturnType<typeof createKie> | undefined;
    const receiver = await serveHandler(async (request) => {
      verified.push(await provider!.verifyWebhook(request));
      return new Response(null, { status: 200 });
    });
    try {
      provider = createKie({ apiKey: mock.apiKey, baseURL: api.baseURL, uploadBaseURL: api.baseURL, callbackUrl: `${receiver.url}/api/gallery/webhooks/kie`, webhookHmacKey: HMAC_KEY, now: clock.now });
      const { task } = await provider.start({ model: 'veo3_fast', mode: 'text', prompt: 'p', aspectRatio: '16:9', resolution: '720p', durationSeconds: 8 }, { idempotencyKey: 'k' });
      expect((await provider.status(task, {})).state).toBe('pending');
      expect((await provider.status(task, {})).state).toBe('succeeded');
      await mock.flushCallbacks();
      expect(mock.callbacks).toHaveLength(1);
      expect(mock.callbacks[0]).toMatchObject({ result: 200, headers: { 'x-webhook-signature': expect.any(String) } });
      expect(verified).toEqual([{ task: { provider: 'kie', api: 'veo', taskId: (task as { taskId: string }).taskId } }]);
      // A redelivery of the same callback is recognised as a duplicate.
      await mock.deliverCallback((task as { taskId: string }).taskId);
      expect(verified[1]).toBeNull();
    } finally {
      await receiver.close();
      await api.close();
    }
  });
});
