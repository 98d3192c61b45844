import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { addActivityProvider, addWorkflowClass, workflowOptionsOf } from './registry.builder.js';
import { WorkflowRegistry } from './workflow-registry.js';
import { WorkflowsDiscoveryError } from './workflows-discovery.error.js';

/**
 * Finds every `@Workflow()` class and `@Activity()` method among the app's providers, checks
 * them, and fills the {@link WorkflowRegistry}. Every problem is reported in one error.
 */
@Injectable()
export class WorkflowsExplorer {
  constructor(private readonly discovery: DiscoveryService) {}

  /** Scans the providers and returns the filled registry; throws {@link WorkflowsDiscoveryError}. */
  explore(registry: WorkflowRegistry): WorkflowRegistry {
    const problems: string[] = [];
    const workflowClasses: Type[] = [];
    const seen = new Set<unknown>();
    for (const wrapper of this.discovery.getProviders()) {
      // A class token served by another class (`{ provide: Billing, useClass: FakeBilling }`) is
      // registered under the token, the class workflows inject; the instance Nest makes runs.
      const type = (typeof wrapper.token === 'function' ? wrapper.token : wrapper.metatype) as Type | null;
      // Factory and value providers have no class of their own to scan.
      if (!type || !wrapper.metatype || wrapper.inject || typeof type !== 'function' || !type.prototype || seen.has(type)) continue;
      seen.add(type);
      if (workflowOptionsOf(type)) workflowClasses.push(type);
      else addActivityProvider(registry, type, wrapper.isDependencyTreeStatic(), problems);
    }
    for (const type of workflowClasses) addWorkflowClass(registry, type, problems);
    if (problems.length > 0) throw new WorkflowsDiscoveryError(problems);
    return registry;
  }
}
