/** Metadata key of `@Workflow()` classes. */
export const WORKFLOW_METADATA = 'workflows:workflow';
/** Metadata key of the `@Run()` method's name on a workflow class. */
export const WORKFLOW_RUN_METADATA = 'workflows:run';
/** Metadata key of `@Activity()` methods. */
export const ACTIVITY_METADATA = 'workflows:activity';
/** Version the worker reports when it registers. */
export const SDK_VERSION = '0.1.0';
/** Injection token of the resolved options. */
export const RESOLVED_WORKFLOWS_OPTIONS = Symbol('RESOLVED_WORKFLOWS_OPTIONS');
/** Metadata key of a workflow class's `@Signal()`, `@Query()` and `@Update()` methods. */
export const WORKFLOW_HANDLERS_METADATA = 'workflows:handlers';
