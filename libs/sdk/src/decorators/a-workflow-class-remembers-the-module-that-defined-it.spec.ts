import 'reflect-metadata';
import { Run } from './run.decorator.js';
import { Workflow } from './workflow.decorator.js';
import { definedWorkflowClass, moduleUrlOfCaller, workflowModuleUrlOf } from './workflow-source.js';

const SDK = 'file:///app/node_modules/sdk/dist/decorators/workflow.decorator.js';

@Workflow({ name: 'remembered' })
class RememberedWorkflow {
  @Run() async run(): Promise<void> {}
}

describe('a workflow class remembers the module that defined it', () => {
  it('takes the first frame outside the SDK from a V8 stack of file URLs', () => {
    const stack = [
      'Error',
      `    at Workflow (${SDK}:26:21)`,
      '    at file:///app/dist/orders/order.workflow.js:14:5',
      '    at ModuleJob.run (node:internal/modules/esm/module_job:234:25)',
    ].join('\n');
    expect(moduleUrlOfCaller(stack, [SDK])).toBe('file:///app/dist/orders/order.workflow.js');
  });

  it('turns plain POSIX and Windows paths into file URLs', () => {
    const posix = `Error\n    at Workflow (${SDK}:1:1)\n    at Object.<anonymous> (/app/dist/my orders/order.workflow.js:14:5)`;
    expect(moduleUrlOfCaller(posix, [SDK])).toBe('file:///app/dist/my%20orders/order.workflow.js');
    const windows = `Error\n    at Workflow (${SDK}:1:1)\n    at new Loader (C:\\app\\dist\\order.workflow.js:14:5)`;
    expect(moduleUrlOfCaller(windows, [SDK])).toBe('file:///C:/app/dist/order.workflow.js');
  });

  it('skips every frame of the SDK files it was told about', () => {
    const capture = 'file:///app/node_modules/sdk/dist/decorators/workflow-source.js';
    const stack = `Error\n    at callerModuleUrl (${capture}:40:3)\n    at Workflow (${SDK}:26:21)\n    at /app/dist/order.workflow.js:3:1`;
    expect(moduleUrlOfCaller(stack, [capture, SDK])).toBe('file:///app/dist/order.workflow.js');
  });

  it('knows no module when the caller is eval, native or node internals, or when no frame is left', () => {
    const frames = (caller: string) => `Error\n    at Workflow (${SDK}:26:21)\n    at ${caller}`;
    expect(moduleUrlOfCaller(frames('eval (eval at <anonymous> (file:///app/main.js:1:1), <anonymous>:1:1)'), [SDK])).toBeNull();
    expect(moduleUrlOfCaller(frames('async Promise.all (index 0)'), [SDK])).toBeNull();
    expect(moduleUrlOfCaller(frames('node:internal/modules/run_main:1:1'), [SDK])).toBeNull();
    expect(moduleUrlOfCaller(`Error\n    at Workflow (${SDK}:26:21)`, [SDK])).toBeNull();
  });

  it('records a decorated class under its workflow name with the module it was defined in', () => {
    const moduleUrl = workflowModuleUrlOf(RememberedWorkflow);
    expect(moduleUrl).toMatch(/^file:\/\/.*\/a-workflow-class-remembers-the-module-that-defined-it\.spec\.ts$/);
    expect(definedWorkflowClass('remembered', moduleUrl!)).toBe(RememberedWorkflow);
    expect(definedWorkflowClass('remembered', 'file:///elsewhere.js')).toBeUndefined();
  });
});
