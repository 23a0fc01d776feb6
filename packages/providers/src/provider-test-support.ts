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

/** The GalleryError `promise` rejects with (the shared test helper of @video-gallery/core/testing). */
export { galleryErrorOf as rejection } from '@video-gallery/core/testing';

/** The error of a `failed` status (fails on any other state). */
export function failed(status: ProviderStatus): GalleryError {
  expect(status.state).toBe('failed');
  if (status.state !== 'failed') throw new Error(`not failed: ${JSON.stringify(status)}`);
  return status.error;
}
