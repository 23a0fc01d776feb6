// A Server-Sent Events parser (the WHATWG "event stream interpretation" rules), fed text chunks as they arrive.

/** One dispatched event. */
export interface SseMessage {
  /** The `event:` field, `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last event id after this message (what a reconnect sends as `Last-Event-ID`). */
  lastEventId: string;
}

export interface SseParserHandlers {
  onMessage(message: SseMessage): void;
  /** A `retry:` field: the server's reconnection delay, ms. */
  onRetry?(ms: number): void;
  /** Every `id:` field, even on blocks that carry no data. */
  onId?(id: string): void;
}

/** Incremental parser: `push` decoded text in any chunking; messages are dispatched at each blank line. */
export class SseParser {
  readonly #handlers: SseParserHandlers;
  #buffer = '';
  #started = false;
  #skipLf = false;
  #event = '';
  #data = '';
  #hasData = false;
  #lastEventId = '';

  constructor(handlers: SseParserHandlers, lastEventId = '') {
    this.#handlers = handlers;
    this.#lastEventId = lastEventId;
  }

  get lastEventId(): string {
    return this.#lastEventId;
  }

  push(chunk: string): void {
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#skipLf && text.startsWith('\n')) text = text.slice(1);
    this.#skipLf = false;
    this.#buffer += text;
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const c = this.#buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(this.#buffer.slice(start, i));
      if (c === 13) {
        if (i + 1 < this.#buffer.length) {
          if (this.#buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.#skipLf = true;
        }
      }
      start = i + 1;
    }
    this.#buffer = this.#buffer.slice(start);
  }

  #line(line: string): void {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data += `${value}\n`;
        this.#hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.#lastEventId = value;
          this.#handlers.onId?.(value);
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.#handlers.onRetry?.(Number(value));
        break;
      default:
        break;
    }
  }

  #dispatch(): void {
    const hasData = this.#hasData;
    const data = this.#data.endsWith('\n') ? this.#data.slice(0, -1) : this.#data;
    const event = this.#event || 'message';
    this.#event = '';
    this.#data = '';
    this.#hasData = false;
    if (!hasData) return;
    this.#handlers.onMessage({ event, data, lastEventId: this.#lastEventId });
  }
}
