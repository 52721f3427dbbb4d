import { describe, expect, it } from 'vitest';
import { MAX_KEY_LENGTH, readIdempotencyKey } from './idempotency-key.ts';

const read = (value: string | undefined) => readIdempotencyKey(value === undefined ? {} : { 'idempotency-key': value });

describe('the Idempotency-Key field', () => {
  it('is absent when not sent', () => {
    expect(read(undefined)).toBeUndefined();
  });

  it('reads an sf-string, escapes and surrounding spaces included', () => {
    expect(read('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toEqual({ key: '8e03978e-40d5-43e8-bc93-6894a57f9324' });
    expect(read('  "a key, with \\"quotes\\" and \\\\"  ')).toEqual({ key: 'a key, with "quotes" and \\' });
  });

  it('takes a bare value as it is (UUIDs sent unquoted, Stripe style)', () => {
    expect(read('8e03978e-40d5-43e8-bc93-6894a57f9324')).toEqual({ key: '8e03978e-40d5-43e8-bc93-6894a57f9324' });
    expect(read('enroll:c-101/2027')).toEqual({ key: 'enroll:c-101/2027' });
  });

  it('quoted and bare spellings of one key are the same key', () => {
    expect(read('"k-1"')).toEqual(read('k-1'));
  });

  it.each([
    ['empty', ''],
    ['an empty string', '""'],
    ['two fields, joined by Node', '"a", "b"'],
    ['two bare values', 'a, b'],
    ['parameters', '"k-1";v=2'],
    ['an unterminated string', '"k-1'],
    ['an unknown escape', '"k\\n1"'],
    ['a control character', '"k\t1"'],
    ['non-ASCII', '"nøkkel"'],
    ['a bare value with a space', 'k 1'],
    ['a bare value with a quote inside', 'k"1'],
    ['too long', `"${'k'.repeat(MAX_KEY_LENGTH + 1)}"`],
  ])('refuses %s, saying how to send one', (_, value) => {
    const reading = read(value);
    expect(reading).toHaveProperty('invalid');
    expect((reading as { invalid: string }).invalid).toMatch(/Send one Idempotency-Key/);
  });

  it('takes a key of the longest length', () => {
    expect(read(`"${'k'.repeat(MAX_KEY_LENGTH)}"`)).toEqual({ key: 'k'.repeat(MAX_KEY_LENGTH) });
  });
});
