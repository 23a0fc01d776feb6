import { afterAll, beforeAll, describe } from 'vitest';
import { setupServer } from 'msw/node';
import { testVideoProvider } from '@video-gallery/core/testing';
import { createVeoMock } from '../testing/veo-mock.js';
import { createVeo } from './veo-video-provider.js';

describe('veo through msw', () => {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  testVideoProvider({
    name: 'veo (msw)',
    create: async () => {
      const mock = createVeoMock();
      server.use(...(await mock.msw()));
      // The default base URL (the real Gemini API) is intercepted by msw; nothing leaves the process.
      return { provider: createVeo({ apiKey: mock.apiKey }), control: mock.control, cleanup: () => server.resetHandlers() };
    },
  });
});

testVideoProvider({
  name: 'veo (loopback server)',
  create: async () => {
    const mock = createVeoMock();
    const served = await mock.listen();
    return { provider: createVeo({ apiKey: mock.apiKey, baseURL: served.baseURL }), control: mock.control, cleanup: () => served.close() };
  },
});
