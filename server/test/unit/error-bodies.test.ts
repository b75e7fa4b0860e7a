import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { toErrorBody } from '../../src/errors';

const { errors, types } = cassandra;
const response = (code: number, message: string) => new errors.ResponseError(code, message);

describe('error bodies for failures of a backing service', () => {
  it.each([
    ['a write timeout', response(types.responseErrorCodes.writeTimeout, 'Operation timed out')],
    [
      'a batchlog timeout (a logged batch during a node loss)',
      response(
        types.responseErrorCodes.writeTimeout,
        'Server timeout during batchlog write at consistency TWO',
      ),
    ],
    ['too few replicas', response(types.responseErrorCodes.unavailableException, 'Cannot achieve')],
    ['an overloaded coordinator', response(types.responseErrorCodes.overloaded, 'Overloaded')],
    ['no host reachable', new errors.NoHostAvailableError({})],
    ['a client-side timeout', new errors.OperationTimedOutError('timed out', '127.0.0.1:9042')],
    ['Redis disconnected', new Error('Connection is closed.')],
  ])('%s answers UNAVAILABLE, retryable, without driver text', (_what, err) => {
    const { body, internal, backend } = toErrorBody(err);
    expect(body).toEqual({
      code: 'UNAVAILABLE',
      message: 'storage is temporarily unavailable; retry',
      retryable: true,
    });
    expect(internal).toBe(false);
    expect(backend).toBe(true);
  });

  it.each([
    ['a query the server refuses as invalid', response(types.responseErrorCodes.invalid, 'bad')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
  ])('%s stays INTERNAL (a defect, logged as an error)', (_what, err) => {
    const { body, internal } = toErrorBody(err);
    expect(body).toEqual({ code: 'INTERNAL', message: 'internal error', retryable: true });
    expect(internal).toBe(true);
  });
});
