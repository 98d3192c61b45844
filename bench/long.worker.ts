import 'reflect-metadata';
import { runWorker } from '#workflows/sdk';
import { LongActivities, LongWorkflow } from './fixtures/long.workflow.js';

/** The long-history benchmark's worker process: {@link LongWorkflow}, connected to SERVER_URL. */
await runWorker([LongWorkflow], { activities: [LongActivities] });
