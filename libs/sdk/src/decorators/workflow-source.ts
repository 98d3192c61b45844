import type { Type } from '@nestjs/common';
import { pathToFileURL } from 'node:url';

/** A `@Workflow()` class and the URL of the module that defined it (`null` when it could not be told). */
interface DefinedWorkflow {
  type: Type;
  moduleUrl: string | null;
}

/**
 * Every `@Workflow()` class defined in this thread, by workflow name: a workflow thread imports
 * the modules that define them and finds the classes here, exported or not.
 */
const definedWorkflows = new Map<string, DefinedWorkflow[]>();
const moduleUrls = new WeakMap<Type, string | null>();

/**
 * The URL of the module a V8 stack (`new Error().stack`) was captured from: the file of its first
 * frame outside `ownUrls` (the SDK files the capture ran in). `file://` URLs are kept, absolute
 * paths (POSIX or Windows) become `file://` URLs; `null` when that frame has no file (`eval`,
 * `node:` internals, native code) or there is no such frame.
 */
export function moduleUrlOfCaller(stack: string, ownUrls: readonly string[]): string | null {
  const own = new Set(ownUrls.map((url) => fileUrlOf(url) ?? url));
  for (const line of stack.split('\n')) {
    const frame = /^\s*at (.*)$/.exec(line)?.[1];
    if (frame === undefined) continue;
    // `fn (location)` or a bare `location`; the location of an `eval` frame names no file of its own.
    const location = (/\((.*)\)$/.exec(frame)?.[1] ?? frame).replace(/(:\d+){1,2}$/, '');
    const url = location.startsWith('eval at ') ? null : fileUrlOf(location);
    if (url !== null && own.has(url)) continue;
    return url;
  }
  return null;
}

/**
 * The URL of the module that called the SDK function whose file is `callerOfUrl`: where a
 * decorator was applied. Reads the frames as V8 records them (before any source map rewrites
 * them into the `.ts` sources), so the URL is the module Node loaded. Never throws.
 */
export function callerModuleUrl(callerOfUrl: string): string | null {
  const { prepareStackTrace, stackTraceLimit } = Error;
  try {
    Error.prepareStackTrace = (error, sites) => `${String(error)}\n${sites.map((site) => `    at ${String(site)}`).join('\n')}`;
    Error.stackTraceLimit = Math.max(stackTraceLimit, 10);
    return moduleUrlOfCaller(String(new Error().stack), [import.meta.url, callerOfUrl]);
  } catch {
    return null;
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** Records a `@Workflow()` class under its workflow name, with the module that defined it. Never throws. */
export function recordWorkflowClass(type: Type, name: string, moduleUrl: string | null): void {
  try {
    moduleUrls.set(type, moduleUrl);
    // A module evaluated again (a test runner's fresh registry) replaces what it defined before.
    const others = (definedWorkflows.get(name) ?? []).filter((defined) => defined.moduleUrl === null || defined.moduleUrl !== moduleUrl);
    definedWorkflows.set(name, [...others, { type, moduleUrl }]);
  } catch {
    // Recording is an optimisation of where workflow code runs; a class it misses runs in-process.
  }
}

/** The URL of the module that defined a `@Workflow()` class; `null` when unknown. */
export function workflowModuleUrlOf(type: Type): string | null {
  return moduleUrls.get(type) ?? null;
}

/** The `@Workflow()` class named `name` that the module at `moduleUrl` defined, once that module was imported. */
export function definedWorkflowClass(name: string, moduleUrl: string): Type | undefined {
  return definedWorkflows.get(name)?.find((defined) => defined.moduleUrl === moduleUrl)?.type;
}

function fileUrlOf(location: string): string | null {
  if (location.startsWith('file://')) return location;
  try {
    if (location.startsWith('/')) return pathToFileURL(location).href;
    // A Windows path, converted as `pathToFileURL` does there (on any platform, for the same answer everywhere).
    if (/^[A-Za-z]:[\\/]/.test(location)) {
      const path = location.replace(/\\/g, '/').replace(/%/g, '%25').replace(/#/g, '%23').replace(/\?/g, '%3F');
      return new URL(`file:///${path}`).href;
    }
  } catch {
    // Not a path a URL can hold.
  }
  return null;
}
