import { setupServer } from 'msw/node';
import { afterAll, beforeAll, vi } from 'vitest';
import { testVideoProvider } from '@video-gallery/core/testing';
import { createDashScopeMock } from '../testing/index.js';
import { createDashScope } from './index.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

testVideoProvider({
  name: 'dashscope (msw)',
  create: async () => {
    vi.stubEnv('DASHSCOPE_BASE_URL', '');
    const mock = createDashScopeMock();
    server.use(...(await mock.msw()));
    return {
      provider: createDashScope({ apiKey: mock.apiKey, retry: { statusMinTimeoutMs: 1 } }),
      control: mock.control,
      cleanup: () => {
        server.resetHandlers();
        vi.unstubAllEnvs();
      },
    };
  },
});
