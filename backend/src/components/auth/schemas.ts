import { DEVICE_NAME_MAX_LENGTH, NAME_MAX_LENGTH } from '@cobalt/contract';
import { z } from 'zod';
import { isStorableText, textField } from '../../lib/validation.js';

/**
 * Input schemas of the auth entry points. Objects are strict: unknown fields are refused. Free
 * text goes through `textField`: lengths in characters, and nothing a store cannot keep.
 */
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'Email is too long')
  .pipe(z.email({ message: 'Enter a valid email address' }));

export const passwordSchema = textField({
  label: 'Password',
  trim: false,
  min: 8,
  max: 128,
  empty: 'Password must be at least 8 characters',
}).refine((p) => p.trim().length > 0, 'Password must not be blank');

const deviceName = (notString?: string) =>
  textField({ label: 'Device name', max: DEVICE_NAME_MAX_LENGTH, empty: 'Device name is required', ...(notString ? { notString } : {}) });

export const registerInput = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: textField({ label: 'Name', max: NAME_MAX_LENGTH, empty: 'Name is required' }),
  device: deviceName().optional(),
});

export const loginInput = z.strictObject({
  email: emailSchema,
  password: textField({ label: 'Password', trim: false, max: 128, empty: 'Password is required' }),
  device: deviceName().optional(),
});

export const refreshInput = z.strictObject({
  refreshToken: z.string().min(1).max(200).refine(isStorableText, 'refreshToken must not contain the NUL character or an unpaired surrogate'),
});

export const sessionIdParam = z.uuid({ message: 'Invalid session id' });

export type RegisterInput = z.output<typeof registerInput>;
export type LoginInput = z.output<typeof loginInput>;

export const renameSessionInput = z.strictObject({
  device: deviceName('device must be a string'),
});
