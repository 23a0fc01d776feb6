import { spawn } from 'node:child_process';
import { GalleryError } from '../errors.js';

export interface RunOptions {
  timeoutMs: number;
  cwd?: string;
  signal?: AbortSignal;
  /** Called with each line ffmpeg writes to stdout (for `-progress pipe:1`). */
  onLine?: (line: string) => void;
  /** Keep stdout bytes (for an image written to `pipe:1`). Default true. */
  collect?: boolean;
}

/** Runs a binary with an argument array (never a shell), with a timeout; resolves with stdout. */
export function runBinary(file: string, args: string[], options: RunOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    let pending = '';
    let settled = false;
    const finish = (error: Error | null, value?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new GalleryError('timeout', `${file} did not finish within ${options.timeoutMs} ms.`));
    }, options.timeoutMs);
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(Object.assign(new Error(`${file} was aborted.`), { name: 'AbortError' }));
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      if (options.collect !== false) out.push(chunk);
      if (options.onLine) {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) options.onLine(line.trim());
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', (error) => finish(new GalleryError('unsupported', `Could not run ${file}: ${error.message}`, { cause: error, retryable: false })));
    child.on('close', (code, signal) => {
      if (code === 0) return finish(null, Buffer.concat(out));
      const tail = stderr.trim().split('\n').slice(-6).join(' | ');
      finish(new GalleryError('provider_error', `${file} exited with ${code ?? signal}: ${tail || '(no output)'}`, { retryable: false }));
    });
  });
}
