import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { GalleryError } from '../errors.js';

/** How many characters of stderr are kept for error messages. */
const STDERR_TAIL = 2000;

/** Options of {@link runBinary}. */
export interface RunOptions {
  /** Kill the child (SIGKILL) and reject with `timeout` after this many ms. **Required.** */
  timeoutMs: number;
  /** Working directory of the child. Default: this process's. */
  cwd?: string;
  /** Aborting kills the child and rejects with `GalleryError('cancelled')`. */
  signal?: AbortSignal;
  /** Called with each trimmed line the child writes to stdout (for `-progress pipe:1`). */
  onLine?: (line: string) => void;
  /** Keep stdout bytes (for an image written to `pipe:1`). Default true. */
  collect?: boolean;
  /** Reject (and kill the child) once stdout exceeds this many bytes. Default: no limit. */
  maxStdoutBytes?: number;
  /** Bytes to pipe to the child's stdin (read with `-i pipe:0`). Default: stdin is closed. */
  stdin?: () => Promise<ReadableStream<Uint8Array>>;
  /** Name used in error messages. Default: the file name. */
  label?: string;
}

/** A child process exited with a non-zero code. `provider_error`, not retryable; the message ends with the stderr tail. */
export class ProcessExitError extends GalleryError {
  /** The exit code, or `null` when a signal ended it. */
  readonly exitCode: number | null;
  /** The last lines the child wrote to stderr. */
  readonly stderrTail: string;

  constructor(label: string, exitCode: number | null, exitSignal: string | null, stderrTail: string) {
    const how = exitCode !== null ? `code ${exitCode}` : `signal ${exitSignal ?? 'unknown'}`;
    super('provider_error', `${label} exited with ${how}: ${stderrTail || '(no error output)'}`, { retryable: false });
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

/**
 * Runs a binary with an argument array (never through a shell) and resolves with its stdout.
 *
 * Rejects with {@link ProcessExitError} on a non-zero exit (message carries the stderr tail), `GalleryError`
 * `timeout` when `timeoutMs` passes, `cancelled` when `signal` aborts, `unsupported` when the binary cannot be
 * started. The child is killed in every case where the call gives up on it.
 */
export function runBinary(file: string, args: string[], options: RunOptions): Promise<Buffer> {
  const label = options.label ?? file;
  const { signal } = options;
  return new Promise<Buffer>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled(signal));
      return;
    }
    const child = spawn(file, args, {
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let partialLine = '';
    let failure: Error | null = null;
    let closed = false;

    const giveUp = (error: Error) => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => giveUp(new GalleryError('timeout', `${label} did not finish within ${options.timeoutMs} ms and was stopped.`)), options.timeoutMs);
    const onAbort = () => giveUp(cancelled(signal));
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout?.on('data', (chunk: Buffer) => {
      outBytes += chunk.byteLength;
      if (options.maxStdoutBytes !== undefined && outBytes > options.maxStdoutBytes) {
        giveUp(new GalleryError('provider_error', `${label} wrote more than ${options.maxStdoutBytes} bytes to stdout.`, { retryable: false }));
        return;
      }
      if (options.collect !== false) out.push(chunk);
      if (options.onLine) {
        partialLine += chunk.toString('utf8');
        const lines = partialLine.split('\n');
        partialLine = lines.pop() ?? '';
        for (const line of lines) options.onLine(line.trim());
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });

    if (options.stdin && child.stdin) {
      const stdin = child.stdin;
      // EPIPE when the child stops reading early (it had what it needed); its exit code says whether that was fine.
      stdin.on('error', () => undefined);
      options
        .stdin()
        .then((stream) => pump(stream, stdin, () => closed))
        .catch((error: unknown) => giveUp(GalleryError.from(error, 'storage_failed')));
    }

    child.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= new GalleryError('unsupported', `${label} could not be started from "${file}" (${error.code ?? error.message}). Install ffmpeg or pass the path of a working binary.`, {
        retryable: false,
        cause: error,
      });
    });
    child.on('close', (code, exitSignal) => {
      closed = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (partialLine.trim() && options.onLine) options.onLine(partialLine.trim());
      if (failure) reject(failure);
      else if (code !== 0) reject(new ProcessExitError(label, code, exitSignal, tidy(stderr)));
      else resolve(Buffer.concat(out));
    });
  });
}

/** The stderr tail on one line: the last few non-empty lines joined with ` | `. */
function tidy(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-8)
    .join(' | ');
}

function cancelled(signal: AbortSignal | undefined): GalleryError {
  const reason: unknown = signal?.reason;
  if (GalleryError.isInstance(reason)) return reason;
  return new GalleryError('cancelled', 'The operation was aborted.', { retryable: false, cause: reason });
}

/** Copies a web stream into a child's stdin with backpressure; stops quietly once the child has exited. */
async function pump(stream: ReadableStream<Uint8Array>, stdin: Writable, closed: () => boolean): Promise<void> {
  const reader = stream.getReader();
  try {
    for (;;) {
      if (closed() || stdin.destroyed || stdin.writableEnded) break;
      const { done, value } = await reader.read();
      if (done) break;
      if (!stdin.write(value)) {
        await new Promise<void>((resolve) => {
          const settle = () => {
            stdin.off('drain', settle);
            stdin.off('close', settle);
            resolve();
          };
          stdin.on('drain', settle);
          stdin.on('close', settle);
        });
      }
    }
    if (!stdin.destroyed && !stdin.writableEnded) stdin.end();
  } catch (error) {
    stdin.destroy();
    if (!closed()) throw error;
  } finally {
    reader.cancel().catch(() => undefined);
  }
}
