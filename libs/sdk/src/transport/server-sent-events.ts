/** One Server-Sent Events message. */
export interface ServerSentEvent {
  id: string | null;
  event: string | null;
  data: string;
}

/**
 * Parses a `text/event-stream` body into messages (the WHATWG format: `field: value` lines,
 * a blank line ends a message, `:` lines are comments). Ends when the body ends.
 */
export async function* parseServerSentEvents(body: AsyncIterable<Buffer | string>): AsyncIterable<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | null = null;
  let event: string | null = null;
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    for (let newline = buffer.search(/\r\n|\r|\n/); newline >= 0; newline = buffer.search(/\r\n|\r|\n/)) {
      // A '\r' that ends the chunk may be the first half of '\r\n': wait for the next chunk.
      if (buffer[newline] === '\r' && newline === buffer.length - 1) break;
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { id, event, data: data.join('\n') };
        event = null;
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
      if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'event') event = value;
    }
  }
}
