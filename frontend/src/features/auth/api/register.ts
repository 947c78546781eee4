import { z } from 'zod';
import { session } from '../../../lib/session';
import { emailSchema } from './sign-in';

/** The server's rules (docs/API.md, section 4), checked here first so mistakes show at once. */
export const registerInputSchema = z.object({
  name: z.string().trim().min(1, 'Enter your name.').max(100, 'Names are at most 100 characters.'),
  email: emailSchema,
  password: z
    .string()
    .min(8, 'Use at least 8 characters.')
    .max(128, 'Use at most 128 characters.')
    .refine((password) => password.trim().length > 0, 'A password cannot be only spaces.'),
});

export type RegisterInput = z.input<typeof registerInputSchema>;

export async function register(input: RegisterInput): Promise<void> {
  await session.register(registerInputSchema.parse(input));
}
