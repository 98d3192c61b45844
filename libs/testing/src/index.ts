export { loadHistory } from './load-history.js';
export { InvalidHistoryError, replayHistory } from '#workflows/sdk';
export { TestWorkflowEnvironment, type TestWorkflowEnvironmentOptions } from './test-workflow.environment.js';
export { TestClock } from './test.clock.js';
export type { ActivityMocks } from './activity.mocks.js';
