import { afterAll, beforeAll, describe } from 'vitest';
import { setupServer } from 'msw/node';
import { testVideoProvider } from '@video-gallery/core/testing';
import { createKieMock } from '../testing/kie-mock.js';
import { createKie } from './kie-video-provider.js';

describe('kie through msw', () => {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  testVideoProvider({
    name: 'kie veo3_fast (msw)',
    create: async () => {
      const mock = createKieMock();
      server.use(...(await mock.msw()));
      return { provider: createKie({ apiKey: mock.apiKey }), control: mock.control, cleanup: () => server.resetHandlers() };
    },
  });

  testVideoProvider({
    name: 'kie jobs API, wan/2-6-text-to-video (msw)',
    request: { model: 'wan/2-6-text-to-video', resolution: '720p', durationSeconds: 5 },
    create: async () => {
      const mock = createKieMock();
      server.use(...(await mock.msw()));
      return { provider: createKie({ apiKey: mock.apiKey }), control: mock.control, cleanup: () => server.resetHandlers() };
    },
  });
});

testVideoProvider({
  name: 'kie veo3_fast (loopback server, errors as HTTP 200, User-Agent required)',
  create: async () => {
    const mock = createKieMock({ errorStatus: 200, requireUserAgent: true });
    const served = await mock.listen();
    const provider = createKie({ apiKey: mock.apiKey, baseURL: served.baseURL, uploadBaseURL: served.baseURL });
    return { provider, control: mock.control, cleanup: () => served.close() };
  },
});
