import { parseServerSentEvents, type ServerSentEvent } from './server-sent-events.js';

async function parse(chunks: string[]): Promise<ServerSentEvent[]> {
  async function* body(): AsyncIterable<Buffer> {
    for (const chunk of chunks) yield Buffer.from(chunk);
  }
  const messages: ServerSentEvent[] = [];
  for await (const message of parseServerSentEvents(body())) messages.push(message);
  return messages;
}

describe('parseServerSentEvents', () => {
  it('reads id, event and data, skips comments, and joins multi-line data', async () => {
    expect(await parse([': keep-alive\n\nid: 1\nevent: A\ndata: {"x":1}\n\nid: 2\ndata: a\ndata: b\n\n'])).toEqual([
      { id: '1', event: 'A', data: '{"x":1}' },
      { id: '2', event: null, data: 'a\nb' },
    ]);
  });

  it('keeps a message whole when it is split across chunks, including a CRLF split in the middle', async () => {
    expect(await parse(['id: 7\r\nevent: B\r\nda', 'ta: {"y":', '2}\r', '\ndata: more\r\n\r\n'])).toEqual([
      { id: '7', event: 'B', data: '{"y":2}\nmore' },
    ]);
  });

  it('drops an unfinished message when the body ends', async () => {
    expect(await parse(['id: 1\ndata: whole\n\nid: 2\ndata: cut'])).toEqual([{ id: '1', event: null, data: 'whole' }]);
  });
});
