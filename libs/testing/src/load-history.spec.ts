import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHistory } from './load-history.js';

describe('loadHistory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wf-history-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const event = { event_id: 1, event_type: 'WORKFLOW_EXECUTION_STARTED', event_timestamp: 't', attributes: {} };

  it('reads a history page as the API returns it, or a plain array', () => {
    writeFileSync(join(dir, 'page.json'), JSON.stringify({ events: [event], next_page_token: null }));
    writeFileSync(join(dir, 'array.json'), JSON.stringify([event]));
    expect(loadHistory(join(dir, 'page.json'))).toEqual([event]);
    expect(loadHistory(join(dir, 'array.json'))).toEqual([event]);
  });

  it('names the file that is not JSON', () => {
    writeFileSync(join(dir, 'broken.json'), '{"events": [');
    expect(() => loadHistory(join(dir, 'broken.json'))).toThrow(/broken\.json is not a readable JSON history: /);
  });

  it('names the file that holds no events', () => {
    writeFileSync(join(dir, 'empty.json'), JSON.stringify({ events: [] }));
    expect(() => loadHistory(join(dir, 'empty.json'))).toThrow(/empty\.json holds no history events/);
  });
});
