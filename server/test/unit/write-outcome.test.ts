import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { certainlyNotApplied } from '../../src/storage/cassandra/write-outcome';

const { errors, types } = cassandra;
const codes = types.responseErrorCodes;
const response = (code: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new errors.ResponseError(code, 'server said no'), extra);
// Declared abstract in the typings, but it is what the driver throws for a closed socket.
const DriverError = errors.DriverError as unknown as new (message: string) => Error;
const socketError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('classifying cassandra-driver errors for the send path', () => {
  it('treats refusals raised before any replica saw the write as not applied', () => {
    for (const err of [
      response(codes.unavailableException),
      response(codes.overloaded),
      response(codes.isBootstrapping),
      response(codes.invalid),
      response(codes.unprepared),
      new errors.ArgumentError('bad parameter'),
      Object.assign(new DriverError('Socket was closed'), { requestNotWritten: true }),
      socketError('ECONNREFUSED'),
      new errors.NoHostAvailableError({
        '127.0.0.2:9042': socketError('ECONNREFUSED'),
        '127.0.0.3:9042': response(codes.unavailableException),
      }),
      new errors.NoHostAvailableError({}),
    ])
      expect(certainlyNotApplied(err), String(err)).toBe(true);
  });

  it('treats timeouts, lost coordinators and anything unknown as maybe applied', () => {
    for (const err of [
      response(codes.writeTimeout, { writeType: 'BATCH_LOG' }),
      response(codes.writeTimeout, { writeType: 'BATCH' }),
      response(codes.writeFailure),
      response(codes.serverError),
      new errors.OperationTimedOutError('no answer in 12000 ms', '127.0.0.2:9042'),
      new DriverError('Socket was closed'),
      socketError('ECONNRESET'),
      new errors.NoHostAvailableError({
        '127.0.0.2:9042': socketError('ECONNREFUSED'),
        '127.0.0.3:9042': new errors.OperationTimedOutError('timed out', '127.0.0.3:9042'),
      }),
      new Error('something else'),
      'not even an error',
    ])
      expect(certainlyNotApplied(err), String(err)).toBe(false);
  });
});
