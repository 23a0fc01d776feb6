import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONValue, VideoProvider } from '@video-gallery/core';
import { findFfmpeg } from '@video-gallery/core/node';
import { testVideoProvider, type ProviderMockControl, type ProviderMockOutcome } from '@video-gallery/core/testing';
import { createLocal } from './index.js';

const ffmpeg = await findFfmpeg().catch(() => null);
if (!ffmpeg && process.env.VG_REQUIRE_ALL === '1') throw new Error('ffmpeg not found; VG_REQUIRE_ALL=1 makes this a failure.');
if (!ffmpeg) console.warn('SKIP local provider conformance: ffmpeg not found (apt-get install ffmpeg)');

/**
 * The local provider behind the conformance suite's control: a scripted generic failure is routed to a twin
 * instance whose ffmpeg is `/bin/false` (a real failed render); an expiry cancels the render and deletes its task
 * folder (as the retention sweep does); everything else renders for real.
 */
function localUnderTest() {
  const workDir = mkdtempSync(join(tmpdir(), 'vg-local-conf-'));
  const good = createLocal({ workDir });
  const broken = createLocal({ workDir, ffmpegPath: '/bin/false' });
  const owners = new Map<string, VideoProvider>();
  const scripts: ProviderMockOutcome[] = [];
  let starts = 0;
  const pick = (task: JSONValue) => owners.get((task as { id?: string } | null)?.id ?? '') ?? good;
  const provider: VideoProvider = {
    specificationVersion: 'v1',
    id: good.id,
    models: () => good.models(),
    async start(request, options) {
      const outcome = scripts.shift();
      const target = outcome === 'fail-generic' ? broken : good;
      const started = await target.start(request, options);
      starts++;
      const id = (started.task as { id: string }).id;
      owners.set(id, target);
      if (outcome === 'expire') {
        await good.cancel(started.task);
        rmSync(join(workDir, 'tasks', id), { recursive: true, force: true });
      }
      return started;
    },
    status: (task, options) => pick(task).status(task, options),
    cancel: (task) => pick(task).cancel!(task),
    lookup: (key, options) => good.lookup!(key, options),
  };
  const control: ProviderMockControl = {
    outcomes: ['succeed', 'fail-generic', 'expire'],
    reportsProgress: true,
    script: (outcome) => void scripts.push(outcome),
    startCount: () => starts,
    reset: () => void scripts.splice(0),
  };
  return { provider, control, cleanup: () => rmSync(workDir, { recursive: true, force: true }) };
}

if (ffmpeg) {
  testVideoProvider({
    name: 'local',
    create: async () => localUnderTest(),
    request: { resolution: '480p', durationSeconds: 1 },
    maxPolls: 2000,
    pollIntervalMs: 10,
    promptMs: 30_000,
  });
}
