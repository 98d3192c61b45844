export { loadHistory } from './load-history.js';
export { replayHistory } from '#workflows/sdk';
