import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { WorkflowsModuleOptions } from './options/workflows-options.js';

/** `forRoot()` / `forRootAsync()` of `WorkflowsModule`, always global. */
export const {
  ConfigurableModuleClass: ConfigurableWorkflowsModule,
  MODULE_OPTIONS_TOKEN: WORKFLOWS_MODULE_OPTIONS,
  OPTIONS_TYPE: WORKFLOWS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: WORKFLOWS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<WorkflowsModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();
