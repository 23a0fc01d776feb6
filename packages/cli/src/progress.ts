import type { GalleryEntry } from '@video-gallery/core';

const WIDTH = 24;

/** Renders a one-line live progress bar on a TTY, or one line per state change otherwise. */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #started = Date.now();
  #lastStatus: string | null = null;
  #timer: NodeJS.Timeout | undefined;
  #entry: GalleryEntry | null = null;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    if (stream.isTTY) this.#timer = setInterval(() => this.#draw(), 250);
  }

  update(entry: GalleryEntry): void {
    this.#entry = entry;
    if (this.#stream.isTTY) return this.#draw();
    if (entry.status !== this.#lastStatus) {
      this.#lastStatus = entry.status;
      this.#stream.write(`${entry.status.padEnd(11)} ${this.#elapsed()}\n`);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    if (this.#stream.isTTY && this.#entry) {
      this.#draw();
      this.#stream.write('\n');
    }
  }

  #elapsed(): string {
    return `${((Date.now() - this.#started) / 1000).toFixed(1)}s`;
  }

  #draw(): void {
    const entry = this.#entry;
    if (!entry) return;
    const fraction = progressOf(entry);
    const filled = Math.round(fraction * WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
    this.#stream.write(`\r\x1b[2K${bar} ${String(Math.round(fraction * 100)).padStart(3)}%  ${entry.status.padEnd(11)} ${this.#elapsed()}`);
  }
}

/** Overall progress across the job's states; generation is the long part. */
export function progressOf(entry: GalleryEntry): number {
  switch (entry.status) {
    case 'queued': return 0;
    case 'submitting': return 0.02;
    case 'generating': return 0.05 + 0.8 * (entry.progress ?? 0);
    case 'downloading': return 0.87;
    case 'processing': return 0.95;
    default: return 1;
  }
}
