import type { z } from 'zod';
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
