import { describe, expect, it } from 'vitest';
import { JOB_STATUSES, type JobStatus } from './contracts/entry.js';
import { GalleryError } from './errors.js';
import { canTransition, InvalidTransitionError, JOB_EVENT_TYPES, transition, type JobEvent, type JobEventType } from './state-machine.js';

// The architecture's table, written out independently of TRANSITIONS so a change to either is caught.
const EXPECTED: Record<JobStatus, Partial<Record<JobEventType, JobStatus>>> = {
  queued: { submit: 'submitting', cancel: 'cancelled' },
  submitting: { accept: 'generating', fail: 'failed', cancel: 'cancelled' },
  generating: { succeed: 'downloading', fail: 'failed', cancel: 'cancelled' },
  downloading: { store: 'processing', fail: 'failed' },
  processing: { finish: 'ready' },
  ready: {},
  failed: { retry: 'queued' },
  cancelled: { retry: 'queued' },
};

const at = '2026-01-01T00:00:00.000Z';
const video = { key: 'videos/a.mp4', contentType: 'video/mp4', bytes: 10, durationSeconds: 4, width: 1280, height: 720 };
const EVENTS: Record<JobEventType, JobEvent> = {
  submit: { type: 'submit', at, deadlineAt: '2026-01-01T00:10:00.000Z' },
  accept: { type: 'accept', at, task: { id: 't1' }, warnings: [{ type: 'unsupported', message: 'fps ignored' }] },
  succeed: { type: 'succeed', at, outputs: [{ url: 'https://x.test/v.mp4' }], usage: { seconds: 4 } },
  store: { type: 'store', at, video },
  finish: { type: 'finish', at, video, thumbnail: null },
  fail: { type: 'fail', at, error: { code: 'provider_error', message: 'boom', retryable: true } },
  cancel: { type: 'cancel', at },
  retry: { type: 'retry', at },
};

const base = { warnings: [], attempt: 1 };

describe('transition()', () => {
  for (const from of JOB_STATUSES) {
    for (const event of JOB_EVENT_TYPES) {
      const to = EXPECTED[from][event];
      if (to) {
        it(`${from} + ${event} → ${to}`, () => {
          expect(canTransition(from, event)).toBe(true);
          expect(transition({ ...base, status: from }, EVENTS[event]).status).toBe(to);
        });
      } else {
        it(`${from} + ${event} is illegal`, () => {
          expect(canTransition(from, event)).toBe(false);
          let thrown: unknown;
          try {
            transition({ ...base, status: from }, EVENTS[event]);
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(InvalidTransitionError);
          expect(GalleryError.isInstance(thrown) && thrown.code).toBe('conflict');
          expect((thrown as Error).message).toContain(from);
          expect((thrown as Error).message).toContain(event);
        });
      }
    }
  }

  it('is pure: the input entry is not modified', () => {
    const entry = { ...base, status: 'submitting' as const, warnings: [{ type: 'other' as const, message: 'kept' }] };
    const snapshot = structuredClone(entry);
    const patch = transition(entry, EVENTS.accept);
    expect(entry).toEqual(snapshot);
    expect(patch.warnings).toEqual([{ type: 'other', message: 'kept' }, { type: 'unsupported', message: 'fps ignored' }]);
    expect(patch.task).toEqual({ id: 't1' });
  });

  it('retry clears the previous attempt and counts attempts', () => {
    const patch = transition({ ...base, status: 'failed', attempt: 2 }, EVENTS.retry);
    expect(patch).toMatchObject({ status: 'queued', attempt: 3, error: null, task: null, outputs: null, video: null, thumbnail: null, polls: 0 });
  });

  it('fail records the error and the completion time', () => {
    expect(transition({ ...base, status: 'downloading' }, EVENTS.fail)).toMatchObject({ status: 'failed', completedAt: at, error: { code: 'provider_error' } });
  });
});
