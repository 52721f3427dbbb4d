import { describe, it, expect } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('MAX_HEADER_BYTES', () => {
  it('defaults to 64 KiB, four times Node\'s own limit', () => {
    expect(loadConfig({}).maxHeaderBytes).toBe(65_536);
    expect(loadConfig({ MAX_HEADER_BYTES: '131072' }).maxHeaderBytes).toBe(131_072);
  });

  it.each([
    ['1000', /MAX_HEADER_BYTES="1000": must be at least 16384/],
    ['2000000', /MAX_HEADER_BYTES="2000000": must be at most 1048576/],
    ['big', /MAX_HEADER_BYTES="big"/],
  ])('refuses %s, naming the variable', (value, message) => {
    expect(() => loadConfig({ MAX_HEADER_BYTES: value })).toThrow(ConfigError);
    expect(() => loadConfig({ MAX_HEADER_BYTES: value })).toThrow(message);
  });
});
