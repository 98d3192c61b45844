/** Injection token of the {@link Store}. */
export const STORE = Symbol('WORKFLOWS_STORE');

/** Injection token of the platform's {@link Clock}. */
export const CLOCK = Symbol('WORKFLOWS_CLOCK');

/** Injection token of the resolved platform options. */
export const PLATFORM_OPTIONS = Symbol('WORKFLOWS_PLATFORM_OPTIONS');

/** Injection token of the logger the platform writes its own lines to (or `null`). */
export const PLATFORM_LOGGER = Symbol('WORKFLOWS_PLATFORM_LOGGER');
