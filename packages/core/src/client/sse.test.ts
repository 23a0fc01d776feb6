import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from './sse.js';

function parse(chunks: string[], lastEventId = '') {
  const messages: SseMessage[] = [];
  const retries: number[] = [];
  const ids: string[] = [];
  const parser = new SseParser({ onMessage: (m) => messages.push(m), onRetry: (ms) => retries.push(ms), onId: (id) => ids.push(id) }, lastEventId);
  for (const chunk of chunks) parser.push(chunk);
  return { messages, retries, ids, parser };
}

describe('SseParser', () => {
  it('dispatches named events with their data and id at each blank line', () => {
    const { messages } = parse(['id: a.1\nevent: update\ndata: {"x":1}\n\nevent: delete\ndata: 2\n\n']);
    expect(messages).toEqual([
      { event: 'update', data: '{"x":1}', lastEventId: 'a.1' },
      { event: 'delete', data: '2', lastEventId: 'a.1' },
    ]);
  });

  it('gives the same messages however the text is chunked, including CR LF split across chunks', () => {
    const text = 'retry: 3000\r\nid: s.7\r\n\r\n: heartbeat\r\n\r\nevent: create\r\ndata: one\r\ndata: two\r\n\r\n';
    const whole = parse([text]);
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      const split = parse(chunks);
      expect(split.messages).toEqual(whole.messages);
      expect(split.retries).toEqual([3000]);
    }
    expect(whole.messages).toEqual([{ event: 'create', data: 'one\ntwo', lastEventId: 's.7' }]);
  });

  it('treats a lone CR as a line end, ignores comments and unknown fields, and strips one leading space', () => {
    const { messages } = parse([': comment\rfoo: bar\rdata:  two spaces\r\r']);
    expect(messages).toEqual([{ event: 'message', data: ' two spaces', lastEventId: '' }]);
  });

  it('records an id from a block without data but dispatches nothing for it', () => {
    const { messages, ids, parser } = parse(['id: k.41\n\n: connected\n\n']);
    expect(messages).toEqual([]);
    expect(ids).toEqual(['k.41']);
    expect(parser.lastEventId).toBe('k.41');
  });

  it('keeps the id it started with until the stream sends another, ignores ids with NUL and non-numeric retry', () => {
    const { messages, retries } = parse(['id: bad\0id\nretry: soon\ndata: x\n\n'], 'start.3');
    expect(messages).toEqual([{ event: 'message', data: 'x', lastEventId: 'start.3' }]);
    expect(retries).toEqual([]);
  });

  it('strips a leading byte order mark and does not dispatch an unterminated block', () => {
    const { messages } = parse(['\uFEFFdata: a\n\n', 'data: never finished\n']);
    expect(messages).toEqual([{ event: 'message', data: 'a', lastEventId: '' }]);
  });
});
