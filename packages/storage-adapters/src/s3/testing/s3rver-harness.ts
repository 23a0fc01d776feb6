// Test support (not part of the published API): runs s3rver (through s3rver-server.mjs, which adds the multipart
// operations s3rver lacks, atomic writes and a request log) in a child process on 127.0.0.1, in a temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One request s3rver received. */
export interface RecordedRequest {
  method: string;
  /** Path without the query, for example `/bucket/key.bin`. */
  path: string;
  query: Record<string, string>;
  /** The Content-Length request header, when sent. */
  contentLength: number | null;
  /** The S3 operation, from method and query: `PutObject`, `CreateMultipartUpload`, `UploadPart`, ... */
  operation: string;
}

export interface S3rverHarness {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** s3rver's data directory. */
  directory: string;
  /** s3rver accepts this access key (and any secret; it only rejects unknown access keys). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Every request since the start (or the last `clearRequests`). */
  requests(): Promise<RecordedRequest[]>;
  clearRequests(): Promise<void>;
  /** Upload ids of the incomplete multipart uploads s3rver holds for `bucket`, read from its directory. */
  pendingUploads(bucket: string): Promise<string[]>;
  /** The file s3rver keeps `key` in. */
  objectFile(bucket: string, key: string): string;
  close(): Promise<void>;
}

/** The server script, runnable with plain `node` (also used by bench/storage.bench.ts). */
export const S3RVER_SERVER_SCRIPT = fileURLToPath(new URL('./s3rver-server.mjs', import.meta.url));

/**
 * Starts s3rver in a child process with `buckets` created. Resolves `{ harness }`, or `{ reason }` when it cannot
 * start (s3rver missing, no free port, ...), so callers can skip loudly.
 */
export async function startS3rver(buckets: string[]): Promise<{ harness: S3rverHarness; reason?: undefined } | { harness?: undefined; reason: string }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'vg-s3rver-'));
  let child: ChildProcess;
  let port: number;
  try {
    child = spawn(process.execPath, [S3RVER_SERVER_SCRIPT, directory, buckets.join(',')], { stdio: ['pipe', 'pipe', 'pipe'] });
    port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`no answer within 20 s${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split('\n')[0];
        if (stdout.includes('\n') && line) {
          clearTimeout(timer);
          try {
            resolve((JSON.parse(line) as { port: number }).port);
          } catch (error) {
            reject(error as Error);
          }
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with code ${code}${stderr ? `: ${stderr.trim().split('\n').find((l) => /Error/.test(l)) ?? stderr.trim().split('\n')[0]}` : ''}`));
      });
    });
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    return { reason: `s3rver could not start (${(error as Error).message})` };
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const running = child;
  return {
    harness: {
      endpoint,
      directory,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requests: async () => (await (await fetch(`${endpoint}/__harness/requests`)).json()) as RecordedRequest[],
      clearRequests: async () => {
        await (await fetch(`${endpoint}/__harness/requests`, { method: 'DELETE' })).arrayBuffer();
      },
      pendingUploads: async (bucket) => (await readdir(path.join(directory, bucket, '._S3rver_uploads')).catch(() => [] as string[])).sort(),
      objectFile: (bucket, key) => {
        const parts = key.split('/');
        const last = parts.pop()!;
        return path.join(directory, bucket, ...parts, `${last}._S3rver_object`);
      },
      close: async () => {
        if (running.exitCode === null) {
          const exited = new Promise((resolve) => running.once('exit', resolve));
          running.kill('SIGTERM');
          await exited;
        }
        await rm(directory, { recursive: true, force: true });
      },
    },
  };
}

/** Whether `VG_REQUIRE_ALL=1` forbids skipping. */
export function requireAll(): boolean {
  return process.env.VG_REQUIRE_ALL === '1';
}
