import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isIsoInstant, type JsonSchema, type Problem } from '@riskd/api-client';

/** Which part of the request a schema checks (Fastify's `httpPart`). */
export type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    // Bodies are JSON: a string is never silently a number. Query and path values are text and
    // need coercion ("?limit=5").
    coerceTypes: coerce,
    useDefaults: true,
    removeAdditional: false,
    allowUnionTypes: true,
    strict: true,
    // `if/then` names `required` properties declared beside it, not inside `then`.
    strictRequired: false,
  });
  // `date-time` also rejects instants that match the pattern but do not exist (2026-02-30).
  ajv.addFormat('date-time', { type: 'string', validate: isIsoInstant });
  return ajv;
}

/**
 * The validator compiler of the control API: request bodies are checked strictly (no type
 * coercion, unknown properties refused, every problem listed); query strings and path
 * parameters coerce text to the declared types.
 */
export class RequestValidators {
  private readonly bodyAjv = createAjv(false);
  private readonly textAjv = createAjv(true);

  compile(schema: JsonSchema, part: HttpPart): ValidateFunction {
    return (part === 'body' ? this.bodyAjv : this.textAjv).compile(schema);
  }
}

/** ajv's errors as problems with a readable path: `body.rules[0].mode`, `query.limit`. */
export function problemsOf(errors: readonly ErrorObject[], part: string): Problem[] {
  const root = part === 'querystring' ? 'query' : part;
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    let path = root + pointerToPath(error.instancePath);
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'required') {
      path += propertyPath(String((error.params as { missingProperty: string }).missingProperty));
      message = 'is required';
    } else if (error.keyword === 'additionalProperties') {
      path += propertyPath(String((error.params as { additionalProperty: string }).additionalProperty));
      message = 'is not allowed';
    } else if (error.keyword === 'enum') {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (error.keyword === 'if') {
      continue; // the failing `then` branch is reported on its own
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message });
  }
  return problems;
}

function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : propertyPath(segment)))
    .join('');
}

function propertyPath(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}
