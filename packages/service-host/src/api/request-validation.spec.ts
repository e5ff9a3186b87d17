import { describe, expect, it } from 'vitest';
import { PUT_RULES_CONFIG_REQUEST_SCHEMA } from '@riskd/api-client';
import { problemsOf, RequestValidators } from './request-validation.js';

describe('request validation', () => {
  it('when a body has several problems then every one is listed with a readable path', () => {
    const validate = new RequestValidators().compile(PUT_RULES_CONFIG_REQUEST_SCHEMA, 'body');
    const body = { rules: [{ rule: 'x', mode: 'loud', warnAt: 2, 'bad key': 1 }], force: true };
    expect(validate(body)).toBe(false);
    expect(problemsOf(validate.errors!, 'body')).toEqual([
      { path: 'body.reason', message: 'is required' },
      { path: 'body.rules[0]["bad key"]', message: 'is not allowed' },
      { path: 'body.rules[0].mode', message: 'must be one of "enforce", "alert-only", "dry-run"' },
      { path: 'body.rules[0].warnAt', message: 'must be < 1' },
    ]);
  });

  it('when a body number is sent as a string then it is refused, while a query string is coerced', () => {
    const validators = new RequestValidators();
    const schema = { type: 'object', properties: { limit: { type: 'integer' } } };
    const body = validators.compile(schema, 'body');
    const query = validators.compile(schema, 'querystring');
    expect(body({ limit: '5' })).toBe(false);
    const input = { limit: '5' };
    expect(query(input)).toBe(true);
    expect(input).toEqual({ limit: 5 });
  });
});
