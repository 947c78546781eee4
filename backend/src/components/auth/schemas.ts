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
  .pipe(z.email({ message: 'Enter a valid email address' }))
  .meta({ format: 'email' });

export const passwordSchema = textField({
  label: 'Password',
  trim: false,
  min: 8,
  max: 128,
  empty: 'Password must be at least 8 characters',
}).refine((p) => p.trim().length > 0, 'Password must not be blank');

const deviceName = (notString?: string) => textField({ label: 'Device name', max: DEVICE_NAME_MAX_LENGTH, empty: 'Device name is required', ...(notString ? { notString } : {}) });

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

/** What the API answers (OpenAPI document; the services build these shapes, see @cobalt/contract). */
export const userOutput = z.strictObject({ id: z.uuid(), email: z.string(), name: z.string() }).meta({ id: 'User' });

export const sessionOutput = z
  .strictObject({ id: z.uuid(), device: z.string(), createdAt: z.iso.datetime(), lastSeenAt: z.iso.datetime(), current: z.boolean() })
  .meta({ id: 'Session' });

export const authResultOutput = z
  .strictObject({
    user: userOutput,
    accessToken: z.string(),
    refreshToken: z.string().optional().meta({ description: 'Absent for browser clients (X-Cobalt-Client: web): it is in the cobalt_refresh cookie' }),
    sessionId: z.uuid(),
  })
  .meta({ id: 'AuthResult' });

export const tokenPairOutput = z
  .strictObject({ accessToken: z.string(), refreshToken: z.string().optional().meta({ description: 'Absent for browser clients (X-Cobalt-Client: web)' }) })
  .meta({ id: 'TokenPair' });
