import 'reflect-metadata';
import { runWorker } from '#workflows/sdk';
import { LocalNoopWorkflow, NoopActivities, NoopWorkflow } from './fixtures/noop.workflow.js';

/** The benchmark's worker process: W1 and W1-local, connected to SERVER_URL, or (without it) to the embedded platform it starts. */
await runWorker([NoopWorkflow, LocalNoopWorkflow], { activities: [NoopActivities] });
