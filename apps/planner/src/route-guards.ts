/**
 * Checks every route gets from its schema, added when the route is registered (`onRoute`):
 *
 * - Admin routes (a schema with `security: [{ bearer: [] }]`) check the token first, in
 *   `onRequest`, before the body is parsed or validated: an unauthenticated caller gets 401, never
 *   a 400 that would tell it about the body.
 * - Numeric parameters (querystring and body properties of type integer or number) must be
 *   written in plain decimal and be finite and within the schema's bounds. Ajv's type coercion
 *   alone turns "Infinity", "1e400" or 400 nines into an infinite number that passes
 *   `minimum`/`maximum`, and "0x1" or "1e0" into 1; this check runs before it (`preValidation`)
 *   on the text as received, and its 400 names the parameter and its real limits.
 */
import type { RouteOptions, onRequestHookHandler, preValidationHookHandler } from 'fastify';
import { echo } from './echo.js';
import { HttpError } from './http-errors.js';

interface NumericRule {
  readonly name: string;
  readonly integer: boolean;
  readonly minimum: number | undefined;
  readonly maximum: number | undefined;
}

/** Plain decimal: an optional minus, digits, and (for type number) an optional fraction. */
const INTEGER_TEXT = /^-?\d{1,15}$/;
const NUMBER_TEXT = /^-?\d{1,15}(?:\.\d{1,15})?$/;

export function guardRoute(route: RouteOptions, requireAdmin: (auth: string | undefined) => void) {
  const schema = route.schema as
    | { security?: readonly Record<string, unknown>[]; querystring?: unknown; body?: unknown }
    | undefined;
  if (schema === undefined) return;
  if (schema.security?.some((entry) => 'bearer' in entry) === true) {
    const check: onRequestHookHandler = (request, _reply, done) =>
      done(attempt(() => requireAdmin(request.headers.authorization)));
    route.onRequest = [check, ...hooks(route.onRequest)];
  }
  const checks: preValidationHookHandler[] = [];
  const query = numericRules(schema.querystring);
  if (query.length > 0) {
    checks.push((request, _reply, done) => done(attempt(() => checkNumbers(request.query, query))));
  }
  const body = numericRules(schema.body);
  if (body.length > 0) {
    checks.push((request, _reply, done) => done(attempt(() => checkNumbers(request.body, body))));
  }
  if (checks.length > 0) route.preValidation = [...checks, ...hooks(route.preValidation)];
}

/** Runs `check`; its error, for a hook's `done`. */
function attempt(check: () => void): Error | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

function hooks<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as T[])] : [value as T];
}

function numericRules(schema: unknown): NumericRule[] {
  const properties = (
    schema as { properties?: Record<string, Record<string, unknown>> } | undefined
  )?.properties;
  if (properties === undefined) return [];
  const rules: NumericRule[] = [];
  for (const [name, property] of Object.entries(properties)) {
    const type = property['type'];
    if (type !== 'integer' && type !== 'number') continue;
    const bound = (key: string): number | undefined =>
      typeof property[key] === 'number' ? property[key] : undefined;
    rules.push({
      name,
      integer: type === 'integer',
      minimum: bound('minimum'),
      maximum: bound('maximum'),
    });
  }
  return rules;
}

function checkNumbers(values: unknown, rules: readonly NumericRule[]): void {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return;
  const record = values as Record<string, unknown>;
  for (const rule of rules) {
    if (!Object.hasOwn(record, rule.name)) continue;
    const value = record[rule.name];
    // Other types (a repeated parameter, an object in a body) are left to the schema's own check.
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    if (!acceptable(value, rule)) throw numericError(rule, value);
  }
}

function acceptable(value: string | number, rule: NumericRule): boolean {
  if (typeof value === 'string' && !(rule.integer ? INTEGER_TEXT : NUMBER_TEXT).test(value))
    return false;
  const number = Number(value);
  if (!Number.isFinite(number)) return false;
  if (rule.integer && !Number.isInteger(number)) return false;
  if (rule.minimum !== undefined && number < rule.minimum) return false;
  return rule.maximum === undefined || number <= rule.maximum;
}

function numericError(rule: NumericRule, value: string | number): HttpError {
  const kind = rule.integer ? 'an integer' : 'a number';
  const { minimum, maximum } = rule;
  const range =
    minimum !== undefined && maximum !== undefined
      ? ` ${minimum}-${maximum}`
      : minimum !== undefined
        ? ` >= ${minimum}`
        : maximum !== undefined
          ? ` <= ${maximum}`
          : '';
  return new HttpError(
    'BAD_REQUEST',
    `${rule.name} must be ${kind}${range} in plain decimal digits, got ${echo(value)}`,
  );
}
