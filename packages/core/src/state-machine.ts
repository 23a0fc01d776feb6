import type { GalleryEntry, JobStatus, PersistedOutput, StoredThumbnail, StoredVideo, Warning } from './contracts/entry.js';
import type { JSONValue } from './contracts/json.js';
import { GalleryError, type EntryError } from './errors.js';

/** Everything that can happen to a job. Timers and I/O live outside; this module only decides. */
export type JobEvent =
  | { type: 'submit'; at: string; deadlineAt: string }
  | { type: 'accept'; at: string; task: JSONValue; warnings?: Warning[] }
  | { type: 'succeed'; at: string; outputs: PersistedOutput[]; usage?: JSONValue }
  | { type: 'store'; at: string; video: StoredVideo }
  | { type: 'finish'; at: string; video: StoredVideo; thumbnail: StoredThumbnail | null; warnings?: Warning[] }
  | { type: 'fail'; at: string; error: EntryError }
  | { type: 'cancel'; at: string }
  | { type: 'retry'; at: string };

export type JobEventType = JobEvent['type'];
export const JOB_EVENT_TYPES: readonly JobEventType[] = ['submit', 'accept', 'succeed', 'store', 'finish', 'fail', 'cancel', 'retry'];

/** The transition table: for each state, the events it accepts and the state each leads to. */
export const TRANSITIONS: Readonly<Record<JobStatus, Partial<Record<JobEventType, JobStatus>>>> = {
  queued: { submit: 'submitting', cancel: 'cancelled' },
  submitting: { accept: 'generating', fail: 'failed', cancel: 'cancelled' },
  generating: { succeed: 'downloading', fail: 'failed', cancel: 'cancelled' },
  downloading: { store: 'processing', fail: 'failed' },
  processing: { finish: 'ready' },
  ready: {},
  failed: { retry: 'queued' },
  cancelled: { retry: 'queued' },
};

export class InvalidTransitionError extends GalleryError {
  readonly from: JobStatus;
  readonly event: JobEventType;
  constructor(from: JobStatus, event: JobEventType) {
    const allowed = Object.keys(TRANSITIONS[from]);
    super('conflict', `A ${from} job cannot take '${event}'${allowed.length ? ` (it takes: ${allowed.join(', ')})` : ' (it is final)'}.`, { retryable: false });
    this.name = 'InvalidTransitionError';
    this.from = from;
    this.event = event;
  }
}

export function canTransition(from: JobStatus, event: JobEventType): boolean {
  return TRANSITIONS[from][event] !== undefined;
}

/**
 * Pure: the patch that applying `event` to `entry` makes (status and the fields the event sets).
 * Throws `InvalidTransitionError` for an event the current state does not take.
 */
export function transition(entry: Pick<GalleryEntry, 'status' | 'warnings' | 'attempt'>, event: JobEvent): Partial<GalleryEntry> {
  const status = TRANSITIONS[entry.status][event.type];
  if (status === undefined) throw new InvalidTransitionError(entry.status, event.type);
  switch (event.type) {
    case 'submit':
      return { status, deadlineAt: event.deadlineAt, polls: 0, transientErrors: 0, progress: null, nextRunAt: null };
    case 'accept':
      return {
        status, task: event.task, submittedAt: event.at, transientErrors: 0, progress: 0,
        warnings: event.warnings?.length ? [...entry.warnings, ...event.warnings] : entry.warnings,
      };
    case 'succeed':
      return { status, outputs: event.outputs, usage: event.usage ?? null, progress: 1, transientErrors: 0, nextRunAt: null };
    case 'store':
      return { status, video: event.video, transientErrors: 0 };
    case 'finish':
      return {
        status, video: event.video, thumbnail: event.thumbnail, completedAt: event.at, nextRunAt: null,
        warnings: event.warnings?.length ? [...entry.warnings, ...event.warnings] : entry.warnings,
      };
    case 'fail':
      return { status, error: event.error, completedAt: event.at, nextRunAt: null };
    case 'cancel':
      return { status, error: { code: 'cancelled', message: 'The job was cancelled.', retryable: true }, completedAt: event.at, nextRunAt: null };
    case 'retry':
      return {
        status, attempt: entry.attempt + 1, error: null, task: null, outputs: null, progress: null, polls: 0,
        transientErrors: 0, submittedAt: null, completedAt: null, deadlineAt: null, usage: null, video: null,
        thumbnail: null, nextRunAt: null,
      };
  }
}
