import { describe, expect, it } from 'vitest';
import { loginInput, passwordSchema, registerInput, renameSessionInput } from '../../src/components/auth/schemas.js';
import { createTodoInput, updateTodoInput } from '../../src/components/todos/schemas.js';
import { AppError } from '../../src/lib/app-error.js';
import { characterCount, isStorableText, parseInput, textField } from '../../src/lib/validation.js';

const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION_FAILED');
    return error as AppError;
  }
  throw new Error('expected a validation error');
};

const EMOJI = '\u{1F600}'; // one character, two UTF-16 units
const UNSTORABLE: [string, string][] = [
  ['a NUL character', 'a\u0000b'],
  ['a lone high surrogate', 'a\ud800b'],
  ['a lone low surrogate', 'a\udc00b'],
  ['a low surrogate before a high one', '\udc00\ud800'],
];

describe('text fields: what can be stored, counted in characters', () => {
  it('when a string holds NUL or an unpaired surrogate, then it is not storable; paired surrogates are', () => {
    for (const [, value] of UNSTORABLE) expect(isStorableText(value)).toBe(false);
    expect(isStorableText(`ok ${EMOJI} \u00e9 \u202e`)).toBe(true);
  });

  it('when an emoji is counted, then it is one character', () => {
    expect(characterCount(EMOJI.repeat(3))).toBe(3);
    expect(characterCount('abc')).toBe(3);
  });

  it('when a field allows 3 characters, then 3 emoji pass and 4 do not, whatever their UTF-16 length', () => {
    const field = textField({ label: 'Thing', max: 3 });
    expect(field.safeParse(EMOJI.repeat(3)).success).toBe(true);
    expect(field.safeParse(EMOJI.repeat(4)).success).toBe(false);
    expect(field.safeParse('abcd').success).toBe(false);
  });

  it.each(UNSTORABLE)('when a title holds %s, then it is refused with a message naming the field', (_label, value) => {
    const error = refusal(() => parseInput(createTodoInput, { title: value }));
    expect(error.details).toEqual([{ path: 'title', message: 'Title must not contain the NUL character or an unpaired surrogate' }]);
    refusal(() => parseInput(updateTodoInput, { id: 'a'.repeat(24), title: value }));
  });

  it.each(UNSTORABLE)('when an account or device field holds %s, then it is refused', (_label, value) => {
    const register = { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada' };
    expect(JSON.stringify(refusal(() => parseInput(registerInput, { ...register, name: value })).details)).toContain('"path":"name"');
    expect(JSON.stringify(refusal(() => parseInput(registerInput, { ...register, device: value })).details)).toContain('"path":"device"');
    expect(JSON.stringify(refusal(() => parseInput(registerInput, { ...register, password: `${value}-long-enough` })).details)).toContain('"path":"password"');
    refusal(() => parseInput(loginInput, { email: register.email, password: register.password, device: value }));
    refusal(() => parseInput(renameSessionInput, { device: value }));
  });

  it('when a device name has 100 emoji, then it is accepted; with 101, refused (docs/API.md: 1 to 100 characters)', () => {
    expect(parseInput(renameSessionInput, { device: EMOJI.repeat(100) }).device).toBe(EMOJI.repeat(100));
    expect(refusal(() => parseInput(renameSessionInput, { device: EMOJI.repeat(101) })).details).toEqual([
      { path: 'device', message: 'Device name must be at most 100 characters' },
    ]);
    const register = { email: 'ada@example.com', password: 'correct horse battery', name: EMOJI.repeat(100), device: EMOJI.repeat(100) };
    expect(parseInput(registerInput, register).device).toBe(EMOJI.repeat(100));
    refusal(() => parseInput(registerInput, { ...register, name: EMOJI.repeat(101) }));
    refusal(() => parseInput(loginInput, { email: register.email, password: register.password, device: EMOJI.repeat(101) }));
  });

  it('when a title has 500 emoji, then it is accepted; with 501, refused', () => {
    expect(parseInput(createTodoInput, { title: EMOJI.repeat(500) }).title).toBe(EMOJI.repeat(500));
    refusal(() => parseInput(createTodoInput, { title: EMOJI.repeat(501) }));
  });

  it('when a password is 8 emoji, then it is long enough; 129 characters are too many', () => {
    expect(passwordSchema.safeParse(EMOJI.repeat(8)).success).toBe(true);
    expect(passwordSchema.safeParse('x'.repeat(7)).success).toBe(false);
    expect(passwordSchema.safeParse('x'.repeat(129)).success).toBe(false);
  });

  it('when a string is 10^5 characters long, then it is refused quickly and once', () => {
    const started = performance.now();
    const error = refusal(() => parseInput(createTodoInput, { title: 'x'.repeat(100_000) }));
    expect(error.details).toEqual([{ path: 'title', message: 'Title must be at most 500 characters' }]);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
