/**
 * `@video-gallery/providers/testing`: provider mocks and helpers for tests and demos.
 *
 * Loads without msw; a mock's `.msw()` imports msw (an optional peer dependency) when it is called.
 */
export { createDashScopeMock, DASHSCOPE_MOCK_PROMPT_MARKERS } from './dashscope-mock.js';
export type {
  DashScopeMock,
  DashScopeMockOptions,
  DashScopeMockFailure,
  DashScopeMockRoute,
  DashScopeMockCall,
  DashScopeMockTaskData,
} from './dashscope-mock.js';
export { createVeoMock, VEO_MOCK_DEFAULT_ORIGIN, VEO_MOCK_PROMPT_MARKERS } from './veo-mock.js';
export type { VeoMock, VeoMockOptions, VeoMockFailure, VeoMockRoute, VeoMockCall, VeoMockServer } from './veo-mock.js';
export { createKieMock, KIE_MOCK_DEFAULT_ORIGINS, KIE_MOCK_PROMPT_MARKERS } from './kie-mock.js';
export type { KieMock, KieMockOptions, KieMockFailure, KieMockRoute, KieMockCall, KieMockCallback, KieMockServer } from './kie-mock.js';
export { serveHandler } from './serve.js';
export type { ServeOptions, ServedHandler, FetchHandler } from './serve.js';
export { sampleVideoBytes, SAMPLE_VIDEO_BYTES, SAMPLE_VIDEO_DURATION_SECONDS } from './sample-video.js';
export { manualClock, MockTaskBook, FailureSwitches, Staller, jsonResponse, bytesResponse, mockSignature } from './mock-base.js';
export type { MockClock, ManualClock, MockTask, MockTaskPhase, MockTaskBookOptions, ArmedFailure } from './mock-base.js';
