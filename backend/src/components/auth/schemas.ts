import { z } from 'zod';

/** Input schemas of the auth entry points. Objects are strict: unknown fields are refused. */
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'Email is too long')
  .pipe(z.email({ message: 'Enter a valid email address' }));

export const passwordSchema = z
  .string()
  .min(8, 'Password must be at least 8 characters')
  .max(128, 'Password must be at most 128 characters')
  .refine((p) => p.trim().length > 0, 'Password must not be blank');

const deviceSchema = z.string().trim().min(1).max(100).optional();

export const registerInput = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: z.string().trim().min(1, 'Name is required').max(100, 'Name must be at most 100 characters'),
  device: deviceSchema,
});

export const loginInput = z.strictObject({
  email: emailSchema,
  password: z.string().min(1, 'Password is required').max(128),
  device: deviceSchema,
});

export const refreshInput = z.strictObject({
  refreshToken: z.string().min(1).max(200),
});

export const sessionIdParam = z.uuid({ message: 'Invalid session id' });

export type RegisterInput = z.output<typeof registerInput>;
export type LoginInput = z.output<typeof loginInput>;

export const renameSessionInput = z.strictObject({
  device: z.string({ message: 'device must be a string' }).trim().min(1, 'Device name is required').max(100, 'Device name must be at most 100 characters'),
});
