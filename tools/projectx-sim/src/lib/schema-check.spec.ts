import { describe, expect, it } from 'vitest';
import { ControlError } from './errors.js';
import { miniValidatorCompiler } from './schema-check.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { enum: ['a', 'b'] },
    count: { type: ['integer', 'null'] },
    at: { type: ['string', 'number'] },
    points: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', properties: { last: { type: 'number' } }, additionalProperties: false },
    },
  },
};

describe('control schema validation', () => {
  it('when a body matches then it passes unchanged', () => {
    const validate = miniValidatorCompiler({ schema, httpPart: 'body' });
    const body = { kind: 'a', count: null, at: 5, points: [{ last: 1.5 }] };
    expect(validate(body)).toEqual({ value: body });
  });

  it('when a body breaks several rules then every problem is reported in one ControlError', () => {
    const validate = miniValidatorCompiler({ schema, httpPart: 'body' });
    const result = validate({ count: 1.5, at: true, points: [], extra: 1 }) as { error: ControlError };
    expect(result.error).toBeInstanceOf(ControlError);
    expect(result.error.status).toBe(400);
    expect(result.error.message).toBe(
      "body must have required property 'kind'; body/count must be integer or null; body/at must be string or number; body/points must have at least 1 items; body must not have property 'extra'",
    );
  });

  it('when a query string carries numbers and booleans then they are coerced; bodies are not', () => {
    const q = { type: 'object', properties: { since: { type: 'integer' }, full: { type: 'boolean' } } };
    expect(
      miniValidatorCompiler({ schema: q, httpPart: 'querystring' })({ since: '12', full: 'true' }),
    ).toEqual({ value: { since: 12, full: true } });
    expect('error' in miniValidatorCompiler({ schema: q, httpPart: 'body' })({ since: '12' })).toBe(true);
    expect('error' in miniValidatorCompiler({ schema: q, httpPart: 'querystring' })({ since: 'x' })).toBe(
      true,
    );
  });

  it('when the body is absent then it passes only if nothing is required', () => {
    expect(miniValidatorCompiler({ schema: { type: 'object', properties: {} } })(null)).toEqual({
      value: undefined,
    });
    expect('error' in miniValidatorCompiler({ schema })(null)).toBe(true);
  });
});
