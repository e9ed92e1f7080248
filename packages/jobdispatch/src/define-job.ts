/**
 * Typed job definitions: a job type's name, its params type, its result type and its default
 * handler options, declared once and used by `register`, `submit` and `wait`, so that the compiler
 * checks a submit's params against the handler's and carries the handler's result type to `wait`.
 *
 * A definition is referred to as a value (`jobs.planning`), never by its name string, so a
 * misspelt job type is an unknown identifier or property, a compile error; `defineJobs` gathers
 * definitions in one object and checks at start-up that no two share a name.
 */
import { DispatchError, invalidArgument } from './errors.js';
import type { HandlerOptions, JobContext } from './handler.js';
import type { Job, JobSpec } from './job.js';

/** Marks the objects `defineJob` makes, so the dispatcher tells them from a handler or a spec. */
const DEFINITION: unique symbol = Symbol('jobdispatch.JobDefinition');

/** Carries the params and result types; exists only for the compiler. */
declare const types: unique symbol;

/** Any definition, whatever its types. */
export interface AnyJobDefinition {
  /** The job `name` (the handler's `jobType`). */
  readonly name: string;
  /** Handler options given once here; `register(def, handler, options)` overrides them key by key. */
  readonly options: HandlerOptions;
  readonly [DEFINITION]: true;
}

/** A job type declared with `defineJob<P, R>(name, options?)`. */
export interface JobDefinition<P = unknown, R = unknown> extends AnyJobDefinition {
  /** Never set: makes `P` invariant-in and `R` out, so definitions of other types do not mix. */
  readonly [types]?: { readonly params: (params: P) => P; readonly result: () => R };
}

/**
 * A plain spec, never a definition: a definition has a `name` and optional fields only, so it would
 * pass for a `JobSpec` and `submit(def)` without params would compile.
 */
export type PlainJobSpec<P> = JobSpec<P> & { readonly [DEFINITION]?: never };

/** The types a definition carries. */
type CarriedTypes<D> = D extends { readonly [types]?: infer T } ? NonNullable<T> : never;
/** The params type of a definition. */
export type ParamsOf<D extends AnyJobDefinition> =
  CarriedTypes<D> extends { readonly params: (params: infer P) => unknown } ? P : never;
/** The result type of a definition. */
export type ResultOf<D extends AnyJobDefinition> =
  CarriedTypes<D> extends { readonly result: () => infer R } ? R : never;

/** The function that runs a defined job: its params typed, its result the definition's. */
export type DefinedJobHandler<P, R> = (job: Job<P>, ctx: JobContext) => Promise<R>;

/** What `submit(def, params, spec)` takes besides the params: a `JobSpec` without name and params. */
export type DefinedJobSpec = Omit<JobSpec, 'name' | 'params'>;

/**
 * Declares a job type. `P` is the params a submit must give and the handler gets; `R` the result
 * the handler resolves with and `wait(def, id)` gives. Throws `INVALID_ARGUMENT` for an empty name.
 */
export function defineJob<P, R>(name: string, options: HandlerOptions = {}): JobDefinition<P, R> {
  if (typeof name !== 'string' || name === '') {
    throw invalidArgument('defineJob name', 'a non-empty string', name);
  }
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('defineJob options', 'an object', options);
  }
  return Object.freeze({
    name,
    options: Object.freeze({ ...options }),
    [DEFINITION]: true as const,
  });
}

/**
 * Gathers definitions in one object, keyed as the caller likes (`jobs.planning`). Throws
 * `INVALID_ARGUMENT` for a value that is not a definition and `DUPLICATE_HANDLER` when two
 * definitions share a job name (they would route to one handler).
 */
export function defineJobs<const D extends Readonly<Record<string, AnyJobDefinition>>>(
  definitions: D,
): D {
  const keyByName = new Map<string, string>();
  for (const [key, definition] of Object.entries(definitions)) {
    if (!isJobDefinition(definition)) {
      throw invalidArgument(`defineJobs ${key}`, 'a definition made by defineJob', definition);
    }
    const other = keyByName.get(definition.name);
    if (other !== undefined) {
      throw new DispatchError(
        'DUPLICATE_HANDLER',
        `defineJobs: "${other}" and "${key}" both define job type "${definition.name}"; each type has exactly one definition`,
      );
    }
    keyByName.set(definition.name, key);
  }
  return Object.freeze({ ...definitions });
}

export function isJobDefinition(value: unknown): value is AnyJobDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [DEFINITION]?: unknown })[DEFINITION] === true
  );
}

/** The spec `submit(def, params, spec)` stands for; a name or params in `spec` is refused. */
export function definedSpec<P>(
  definition: JobDefinition<P, unknown>,
  params: P,
  spec: DefinedJobSpec | undefined,
): JobSpec<P> {
  if (spec !== undefined && (typeof spec !== 'object' || spec === null)) {
    throw invalidArgument('spec', 'an object', spec);
  }
  for (const field of ['name', 'params'] as const) {
    if (spec !== undefined && field in spec) {
      throw invalidArgument(
        `spec.${field}`,
        `absent when submitting a definition (the definition gives it)`,
        (spec as Record<string, unknown>)[field],
      );
    }
  }
  return { ...spec, name: definition.name, params };
}
