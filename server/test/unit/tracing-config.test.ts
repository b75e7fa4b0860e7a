import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config';

describe('tracing switch (standard OTEL_* variables)', () => {
  it('is off by default', () => {
    expect(loadConfig({}).tracing).toEqual({ enabled: false, serviceName: 'parley' });
  });

  it('is on with an OTLP endpoint or an exporter, off with none or OTEL_SDK_DISABLED', () => {
    const on = (env: Record<string, string>) => loadConfig(env).tracing.enabled;
    expect(on({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(on({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(
      true,
    );
    expect(on({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(on({ OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(
      on({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBe(false);
  });

  it('names a bad endpoint instead of starting', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});
