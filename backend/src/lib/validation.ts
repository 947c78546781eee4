import { z } from 'zod';
import { AppError } from './app-error.js';

/**
 * Parse untrusted input with a schema; failures become 400 VALIDATION_FAILED with the
 * offending fields. Values are never echoed back, so nothing sensitive leaks into errors.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new AppError('VALIDATION_FAILED', 'Request validation failed', {
    details: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  });
}

// With the `u` flag a surrogate pair is one code point, so \p{Cs} matches only an unpaired half.
const UNSTORABLE = /[\0\p{Cs}]/u;

/**
 * Whether a string can be stored and sent back as it is: PostgreSQL text refuses NUL, and an
 * unpaired surrogate has no UTF-8 form (JSON, BSON and PostgreSQL would all turn it into U+FFFD).
 */
export const isStorableText = (value: string): boolean => !UNSTORABLE.test(value);

/** Characters as docs/API.md counts them: Unicode code points, so an emoji is one, not two. */
export const characterCount = (value: string): number => Array.from(value).length;

export interface TextRules {
  /** The field's name in messages ("Title"); each message below defaults to one built from it. */
  label: string;
  /** Most characters (code points), after trimming. */
  max: number;
  /** Least characters, after trimming; 1 unless given. */
  min?: number;
  /** Whether surrounding white space is removed first; true unless given (false for passwords). */
  trim?: boolean;
  notString?: string;
  empty?: string;
  tooShort?: string;
  tooLong?: string;
}

/**
 * A text field of the contract: a string, trimmed, within its length in characters, and
 * storable (see isStorableText). Every free-text field of every API goes through this one rule,
 * so a character that cannot be stored is a 400 naming the field, never a 500 from a store.
 */
export function textField(rules: TextRules) {
  const { label, max, min = 1, trim = true } = rules;
  const base = z.string({ message: rules.notString ?? `${label} must be a string` });
  const checked = (trim ? base.trim() : base).superRefine((value, ctx) => {
    if (!isStorableText(value)) {
      ctx.addIssue({ code: 'custom', message: `${label} must not contain the NUL character or an unpaired surrogate` });
      return;
    }
    // A code point is one or two UTF-16 units, so only a length in units between a bound and twice
    // it needs counting.
    const tooLong = value.length > 2 * max || (value.length > max && characterCount(value) > max);
    const tooShort = value.length < min || (value.length < 2 * min && characterCount(value) < min);
    if (value.length === 0 && min > 0) ctx.addIssue({ code: 'custom', message: rules.empty ?? `${label} must not be empty` });
    else if (tooShort) ctx.addIssue({ code: 'custom', message: rules.tooShort ?? `${label} must be at least ${min} characters` });
    else if (tooLong) ctx.addIssue({ code: 'custom', message: rules.tooLong ?? `${label} must be at most ${max} characters` });
  });
  // The rule as JSON Schema states it for the OpenAPI document: bounds in code points (as here),
  // no NUL, something besides white space.
  return checked.meta({ minLength: min, maxLength: max, pattern: '^[^\\u0000]*\\S[^\\u0000]*$' });
}
