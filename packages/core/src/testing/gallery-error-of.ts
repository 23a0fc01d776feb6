import { GalleryError } from '../errors.js';

/**
 * The `GalleryError` a promise rejects with, for tests: fails when the promise resolves, and rethrows any other
 * rejection as it is, so the test report shows what really went wrong.
 *
 * @example
 * const error = await galleryErrorOf(storage.get('../escape'));
 * expect(error.code).toBe('invalid_input');
 */
export async function galleryErrorOf(promise: Promise<unknown>): Promise<GalleryError> {
  try {
    await promise;
  } catch (error) {
    if (GalleryError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection with a GalleryError, but the promise resolved');
}
