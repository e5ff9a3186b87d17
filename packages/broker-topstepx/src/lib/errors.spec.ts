import { describe, expect, it } from 'vitest';
import { TopstepXTransportError, describeError, redactSecrets, registerSecret } from './errors.js';

describe('secret redaction', () => {
  it('when a registered secret appears in an error message then it is removed', () => {
    registerSecret('sup3r-secret-api-key');
    const err = new TopstepXTransportError('Auth/loginKey', 'failed with key sup3r-secret-api-key');
    expect(err.message).not.toContain('sup3r-secret-api-key');
    expect(err.message).toContain('[redacted]');
    expect(err.code).toBe('TOPSTEPX_TRANSPORT');
  });

  it('when a JWT, an access_token parameter or a bearer header appears then it is removed', () => {
    const text = redactSecrets(
      'GET wss://h/hubs/user?access_token=abc.def.ghi Authorization: Bearer xyz123 eyJhbGciOi.eyJzdWIiOiJ4In0.sig',
    );
    expect(text).toBe(
      'GET wss://h/hubs/user?access_token=[redacted] Authorization: Bearer [redacted] [redacted]',
    );
  });

  it('when an apiKey field appears in a JSON body then its value is removed', () => {
    expect(redactSecrets('{"userName":"demo","apiKey":"k-123"}')).toBe(
      '{"userName":"demo","apiKey":"[redacted]"}',
    );
  });

  it('when a cause carries the secret then the cause is redacted too', () => {
    registerSecret('another-secret-value');
    const err = new TopstepXTransportError('x', 'boom', {
      cause: new Error('socket said another-secret-value'),
    });
    expect(String((err.cause as Error).message)).not.toContain('another-secret-value');
    expect(describeError(err)).not.toContain('another-secret-value');
  });
});
