import { z } from 'zod';
import { session } from '../../../lib/session';

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, 'Enter your email address.')
  .max(254, 'That email address is too long.')
  .pipe(z.email('Enter a valid email address, like ada@example.com.'));

export const signInInputSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, 'Enter your password.').max(128, 'Passwords are at most 128 characters.'),
});

export type SignInInput = z.input<typeof signInInputSchema>;

/** Signs in; the session starts in this tab and the refresh token lands in the HttpOnly cookie. */
export async function signIn(input: SignInInput): Promise<void> {
  await session.signIn(signInInputSchema.parse(input));
}
