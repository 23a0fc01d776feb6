// Helpers for this package's tests (not part of the build: no entry imports it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { CliIo } from './main.js';

/** Makes temporary directories named `<prefix>…`, all removed after the file's tests. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/** A non-TTY output stream that keeps what is written. */
export class Capture {
  text = '';
  isTTY = false;
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

/** CLI I/O with captured stdout/stderr, `env` over PATH, and a Ctrl-C the test can fire with `interrupt()`. */
export function captureIo(env: NodeJS.ProcessEnv = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  let handler: (() => void) | undefined;
  const io: CliIo = {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    env: { PATH: process.env.PATH, ...env },
    onInterrupt(onInterrupt) {
      handler = onInterrupt;
      return () => {
        handler = undefined;
      };
    },
  };
  return { io, stdout, stderr, interrupt: () => handler?.() };
}
