import { TITLE_MAX_LENGTH } from '@cobalt/contract';
import { z } from 'zod';

/** The same rule the server applies: trimmed, 1 to TITLE_MAX_LENGTH characters (worded for people). */
export const todoTitleSchema = z.string().trim().min(1, 'Write something to do first.').max(TITLE_MAX_LENGTH, `A todo can be at most ${TITLE_MAX_LENGTH} characters.`);
