import { logger } from './logger.js';

export type AuditEvent =
  | 'user.registered'
  | 'user.signed_in'
  | 'user.sign_in_failed'
  | 'session.refreshed'
  | 'session.revoked'
  | 'session.refresh_token_reused'
  | 'todo.created'
  | 'todo.updated'
  | 'todo.deleted'
  | 'security.rate_limited'
  | 'security.origin_refused';

/**
 * An audit record: a JSON log line on stdout, also kept in the MongoDB `logs` collection
 * (see infra/mongo/log-transport.ts). Context (request, user, instance) is added by the logger.
 */
export function audit(event: AuditEvent, fields: Record<string, unknown> = {}): void {
  const level = event.startsWith('security.') || event.endsWith('_failed') || event.endsWith('_reused') ? 'warn' : 'info';
  logger.log(level, event, { record: 'audit', event, ...fields });
}
