// Lazy loading of the optional peer dependencies of the S3 and R2 storages. Importing `/s3` or `/r2` never fails when
// the AWS SDK is absent; the first operation that needs it does, with an error saying what to install.
import { GalleryError } from '@video-gallery/core';

/** The `@aws-sdk/client-s3` module namespace. */
export type ClientS3Module = typeof import('@aws-sdk/client-s3');
/** The `@aws-sdk/lib-storage` module namespace. */
export type LibStorageModule = typeof import('@aws-sdk/lib-storage');
/** The `@aws-sdk/s3-request-presigner` module namespace. */
export type PresignerModule = typeof import('@aws-sdk/s3-request-presigner');

/** The optional peer dependencies of `/s3` and `/r2`. */
export const S3_PEER_PACKAGES = ['@aws-sdk/client-s3', '@aws-sdk/lib-storage', '@aws-sdk/s3-request-presigner'] as const;
export type S3PeerPackage = (typeof S3_PEER_PACKAGES)[number];

const INSTALL_HINT = `Install them next to @video-gallery/storage-adapters: \`npm install ${S3_PEER_PACKAGES.join(' ')}\` (or \`pnpm add ...\`).`;

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(String((error as Error | null)?.message));
}

/**
 * Runs `importer` and turns a failure into `GalleryError('unsupported')` naming `name` and the packages to install.
 * Exported for tests; adapters use the memoised `load*` functions below.
 */
export async function importPeer<T>(name: S3PeerPackage, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const why = isModuleNotFound(error) ? 'which is not installed' : `which could not be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
    throw new GalleryError('unsupported', `The S3 / R2 storage needs the optional peer dependency ${name}, ${why}. It uses ${S3_PEER_PACKAGES.join(', ')}. ${INSTALL_HINT}`, {
      cause: error,
      retryable: false,
    });
  }
}

let clientS3: Promise<ClientS3Module> | undefined;
let libStorage: Promise<LibStorageModule> | undefined;
let presigner: Promise<PresignerModule> | undefined;

/** `@aws-sdk/client-s3`, imported on first use (memoised; a failed import is retried on the next call). */
export function loadClientS3(): Promise<ClientS3Module> {
  return (clientS3 ??= importPeer('@aws-sdk/client-s3', () => import('@aws-sdk/client-s3')).catch((error: unknown) => {
    clientS3 = undefined;
    throw error;
  }));
}

/** `@aws-sdk/lib-storage`, imported on first use (memoised). */
export function loadLibStorage(): Promise<LibStorageModule> {
  return (libStorage ??= importPeer('@aws-sdk/lib-storage', () => import('@aws-sdk/lib-storage')).catch((error: unknown) => {
    libStorage = undefined;
    throw error;
  }));
}

/** `@aws-sdk/s3-request-presigner`, imported on the first signed URL (memoised). */
export function loadPresigner(): Promise<PresignerModule> {
  return (presigner ??= importPeer('@aws-sdk/s3-request-presigner', () => import('@aws-sdk/s3-request-presigner')).catch((error: unknown) => {
    presigner = undefined;
    throw error;
  }));
}
