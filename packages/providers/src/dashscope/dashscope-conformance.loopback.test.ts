import { testVideoProvider } from '@video-gallery/core/testing';
import { createDashScopeMock } from '../testing/index.js';
import { createDashScope } from './index.js';

testVideoProvider({
  name: 'dashscope (loopback HTTP server)',
  create: async () => {
    const mock = createDashScopeMock();
    const served = await mock.listen();
    return {
      provider: createDashScope({ apiKey: mock.apiKey, baseURL: served.baseURL, retry: { statusMinTimeoutMs: 1 } }),
      control: mock.control,
      cleanup: () => served.close(),
    };
  },
});
