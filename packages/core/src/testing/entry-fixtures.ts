import type { GalleryEntry, ResolvedRequest } from '../contracts/entry.js';

/** What {@link makeEntry} accepts: any entry field, and `request` fields merged over the default request. */
export type MakeEntryOverrides = Partial<Omit<GalleryEntry, 'request'>> & { request?: Partial<ResolvedRequest> };

let sequence = 0;

/**
 * A complete, valid `GalleryEntry` for tests, with `overrides` applied. Defaults: a unique `id`
 * (`entry-000001-xxxxxx`), `owner: null`, `status: 'queued'`, `version: 1`, a `local` provider request with the
 * prompt "A paper boat drifting across a calm lake at sunset", `favorite: false`, `visibility: 'draft'`, and
 * `createdAt` / `updatedAt` set to now. `request` overrides are merged over the default request, so
 * `makeEntry({ request: { prompt: 'x' } })` keeps the other request fields.
 */
export function makeEntry(overrides: MakeEntryOverrides = {}): GalleryEntry {
  sequence += 1;
  const now = new Date().toISOString();
  const { request, ...rest } = overrides;
  const base: GalleryEntry = {
    id: `entry-${String(sequence).padStart(6, '0')}-${Math.random().toString(36).slice(2, 8)}`,
    owner: null,
    status: 'queued',
    version: 1,
    request: {
      provider: 'local',
      model: 'local-v1',
      prompt: 'A paper boat drifting across a calm lake at sunset',
      aspectRatio: '16:9',
      resolution: '720p',
      durationSeconds: 4,
    },
    idempotencyKey: null,
    task: null,
    progress: null,
    polls: 0,
    transientErrors: 0,
    attempt: 1,
    error: null,
    outputs: null,
    video: null,
    thumbnail: null,
    usage: null,
    warnings: [],
    favorite: false,
    caption: null,
    visibility: 'draft',
    createdAt: now,
    updatedAt: now,
    submittedAt: null,
    completedAt: null,
    deadlineAt: null,
    nextRunAt: null,
  };
  return { ...base, ...rest, request: { ...base.request, ...request } };
}
