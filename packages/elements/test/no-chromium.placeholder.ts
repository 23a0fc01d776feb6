// Runs only when Chromium is missing (see vitest.projects.ts): makes the skipped browser tests visible in the summary.
import { describe, it } from 'vitest';

describe.skip('@video-gallery/elements browser tests (Chromium is missing; see the warning above)', () => {
  it('renders <video-gallery> and <generate-form> in Chromium', () => undefined);
});
