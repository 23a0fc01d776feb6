// Shared by the remote providers' tests (veo, kie): a fetch that lets a mock answer, a fetch with one fixed answer,
// and assertions on rejections and failed statuses. Not part of the package (no entry imports it).
import { GalleryError, type ProviderStatus } from '@video-gallery/core';
import { expect } from 'vitest';

/** A fetch that records every request and lets the mock answer it, so nothing touches the network. */
export function recordingFetch(mock: { handle(request: Request): Promise<Response> }): { requests: Request[]; fetch: typeof fetch } {
  const requests: Request[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push(request.clone());
    return mock.handle(request);
  };
  return { requests, fetch: fetchFn };
}

/** A fetch that answers every request with one fixed body (JSON-encoded unless it is a string already). */
export function fixedFetch(status: number, body: unknown): typeof fetch {
  return async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** The GalleryError `promise` rejects with (fails when it resolves or rejects with anything else). */
export async function rejection(promise: Promise<unknown>): Promise<GalleryError> {
  const error = await promise.then(() => null, (reason: unknown) => reason);
  expect(GalleryError.isInstance(error), `expected a GalleryError, got ${String(error)}`).toBe(true);
  return error as GalleryError;
}

/** The error of a `failed` status (fails on any other state). */
export function failed(status: ProviderStatus): GalleryError {
  expect(status.state).toBe('failed');
  if (status.state !== 'failed') throw new Error(`not failed: ${JSON.stringify(status)}`);
  return status.error;
}
