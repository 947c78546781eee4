import type { Session } from '@cobalt/contract';
import { z } from 'zod';
import { cobalt } from '../../../lib/cobalt';

/** The server's rule for a device name (docs/API.md, section 4), worded for people. */
export const deviceNameSchema = z.string().trim().min(1, 'Give the device a name.').max(100, 'Names are at most 100 characters.');

export function renameSession(sessionId: string, device: string): Promise<Session> {
  return cobalt.sessions.rename(sessionId, deviceNameSchema.parse(device));
}
