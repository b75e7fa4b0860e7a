import { ErrorCode, limits, retryableByDefault } from '@parley/contract';
import { describe, expect, it } from 'vitest';
import * as sdk from '../../src/errors';

// The SDK restates a few contract constants to keep zod out of its bundle; they must not drift.
describe('contract constants restated by the SDK', () => {
  it('match the contract', () => {
    expect(sdk.ErrorCode).toEqual(ErrorCode);
    expect(sdk.retryableByDefault).toEqual(retryableByDefault);
    for (const [key, value] of Object.entries(sdk.limits)) {
      expect(limits[key as keyof typeof limits]).toBe(value);
    }
  });
});
