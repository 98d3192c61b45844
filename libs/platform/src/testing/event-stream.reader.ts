import { request } from 'undici';

/** One Server-Sent Events frame: an event (`id`, `event`, `data`), or a `comment` such as a keep-alive. */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/**
 * Reads a `text/event-stream` response frame by frame, for the specs: `next()` resolves with
 * the next frame as soon as it has arrived, or `null` once the server ended the response.
 */
export class EventStreamReader {
  private readonly frames: SseFrame[] = [];
  private readonly waiting: ((frame: SseFrame | null) => void)[] = [];
  private finished = false;

  private constructor(
    readonly status: number,
    readonly headers: Record<string, string | string[] | undefined>,
    /** The parsed JSON body when the answer was not a stream (an error). */
    readonly errorBody: any,
    private readonly controller: AbortController,
  ) {}

  /** Opens `url` with the headers; resolves once the response headers arrived. */
  static async open(url: string, headers: Record<string, string>): Promise<EventStreamReader> {
    const controller = new AbortController();
    const response = await request(url, { method: 'GET', headers, signal: controller.signal });
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      const reader = new EventStreamReader(response.statusCode, response.headers, text ? JSON.parse(text) : undefined, controller);
      reader.finish();
      return reader;
    }
    const reader = new EventStreamReader(response.statusCode, response.headers, undefined, controller);
    void reader.pump(response.body);
    return reader;
  }

  /** The next frame, or `null` when the stream has ended. */
  next(): Promise<SseFrame | null> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    if (this.finished) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The next frame that is an event (comments skipped), or `null` at the end. */
  async nextEvent(): Promise<SseFrame | null> {
    for (;;) {
      const frame = await this.next();
      if (frame === null || frame.comment === undefined) return frame;
    }
  }

  /** Every remaining event until the server ends the stream. */
  async rest(): Promise<SseFrame[]> {
    const events: SseFrame[] = [];
    for (let frame = await this.nextEvent(); frame !== null; frame = await this.nextEvent()) events.push(frame);
    return events;
  }

  /** Whether the server ended the response and every frame was read. */
  get ended(): boolean {
    return this.finished && this.frames.length === 0;
  }

  /** Disconnects. */
  close(): void {
    this.controller.abort();
  }

  private async pump(body: AsyncIterable<Buffer>): Promise<void> {
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += chunk.toString('utf8');
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          this.push(parseFrame(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted by close(): the stream simply ends.
    }
    this.finish();
  }

  private push(frame: SseFrame): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(frame);
    else this.frames.push(frame);
  }

  private finish(): void {
    this.finished = true;
    for (const waiter of this.waiting.splice(0)) waiter(null);
  }
}

function parseFrame(text: string): SseFrame {
  const frame: SseFrame = {};
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    else {
      const colon = line.indexOf(':');
      const field = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id' || field === 'event') frame[field] = value;
      else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
    }
  }
  return frame;
}
