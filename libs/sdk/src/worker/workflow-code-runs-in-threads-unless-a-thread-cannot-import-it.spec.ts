import { chooseThread, planWorkflowThreads, type ProcessFacts } from './workflow-threads.plan.js';

const plainNode: ProcessFacts = { execArgv: [], nodeOptions: '', entryUrls: ['file:///app/dist/main.js'] };
const order = { name: 'order', moduleUrl: 'file:///app/dist/orders/order.workflow.js' };

describe('workflow code runs in threads unless a thread cannot import it', () => {
  it('runs built workflow modules in the configured number of threads', () => {
    expect(planWorkflowThreads(2, [order], plainNode)).toEqual({ threads: 2, workflows: [order] });
  });

  it('runs in process, as configured, with no threads', () => {
    expect(planWorkflowThreads(0, [order], plainNode)).toEqual({ inProcess: 'workflowThreads (WORKFLOWS_WORKFLOW_THREADS) is 0', expected: true });
  });

  it('runs in process when a workflow is a TypeScript source and no loader would let a thread import it (Jest)', () => {
    const source = { name: 'order', moduleUrl: 'file:///app/src/orders/order.workflow.ts' };
    const jest = { ...plainNode, nodeOptions: '--experimental-vm-modules --disable-warning=ExperimentalWarning' };
    const plan = planWorkflowThreads(1, [order, source], jest);
    expect(plan).toMatchObject({ expected: true });
    expect('inProcess' in plan && plan.inProcess).toContain("workflow 'order' is defined in a TypeScript source (/app/src/orders/order.workflow.ts)");
    for (const extension of ['mts', 'cts']) {
      expect(planWorkflowThreads(1, [{ name: 'order', moduleUrl: `file:///app/src/order.${extension}` }], plainNode)).toHaveProperty('inProcess');
    }
  });

  it('runs TypeScript sources in threads when the process has a TypeScript loader, in its flags or NODE_OPTIONS', () => {
    const source = { name: 'order', moduleUrl: 'file:///app/src/orders/order.workflow.ts' };
    expect(planWorkflowThreads(1, [source], { ...plainNode, execArgv: ['--import', 'tsx'] })).toEqual({ threads: 1, workflows: [source] });
    expect(planWorkflowThreads(1, [source], { ...plainNode, nodeOptions: '--loader ts-node/esm' })).toEqual({ threads: 1, workflows: [source] });
  });

  it('runs in process, with a warning, when a workflow is defined in the entry script or where it was defined is unknown', () => {
    const inEntry = planWorkflowThreads(1, [order, { name: 'inline', moduleUrl: 'file:///app/dist/main.js' }], plainNode);
    expect(inEntry).toEqual({
      inProcess: "workflow 'inline' is defined in the entry script (/app/dist/main.js): a thread importing it would start the app again; define it in a module of its own",
      expected: false,
    });
    expect(planWorkflowThreads(1, [{ name: 'lost', moduleUrl: null }], plainNode)).toEqual({
      inProcess: "the module that defines workflow 'lost' is unknown (its @Workflow() call site was not captured)",
      expected: false,
    });
  });

  it('sends a task to the thread holding its run when that one is idle, else to the first idle thread, else nowhere yet', () => {
    expect(chooseThread([true, true, true], 2)).toBe(2);
    expect(chooseThread([false, true, true], 0)).toBe(1);
    expect(chooseThread([false, false, true], undefined)).toBe(2);
    expect(chooseThread([false, false], 1)).toBeNull();
  });
});
