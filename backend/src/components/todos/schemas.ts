import { PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, TITLE_MAX_LENGTH } from '@cobalt/contract';
import { z } from 'zod';
import { textField } from '../../lib/validation.js';

/**
 * Input schemas of the todo use cases. They run inside the domain, so REST, GraphQL and
 * socket payloads are checked by the same rules. Objects are strict (unknown fields are
 * refused: no mass assignment) and every string field refuses objects such as {"$gt": ""}.
 */
export const todoId = z.string({ message: 'Todo id must be a string' }).regex(/^[a-f0-9]{24}$/, 'Invalid todo id');

/** Counted in characters (code points) after trimming; NUL and unpaired surrogates are refused (see textField). */
const title = textField({ label: 'Title', max: TITLE_MAX_LENGTH, notString: 'Title must be a string', empty: 'Title must not be empty' });

/** A client-chosen id for a write, so that a retry is applied once (see domain/todo-log.ts). */
export const clientMutationIdSchema = z
  .string({ message: 'clientMutationId must be a string' })
  .regex(/^[A-Za-z0-9._:-]{8,100}$/, 'clientMutationId must be 8 to 100 letters, digits or . _ : -');

export const createTodoInput = z.strictObject({ title });

/** The fields an update may change (the REST body of PATCH /api/todos/:id, whose id is in the path). */
export const todoPatch = z.strictObject({
  title: title.optional(),
  completed: z.boolean({ message: 'completed must be a boolean' }).optional(),
});

export const updateTodoInput = todoPatch
  .extend({ id: todoId })
  .refine((v) => v.title !== undefined || v.completed !== undefined, { message: 'Nothing to update: give title or completed' });

export const deleteTodoInput = z.strictObject({ id: todoId });

/** Query strings arrive as text; GraphQL arguments arrive typed. Both are accepted here. */
const booleanLike = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], {
  message: 'completed must be true or false',
});
const limit = z
  .union([z.number(), z.string().regex(/^\d+$/, 'limit must be a whole number').transform(Number)], { message: 'limit must be a whole number' })
  .pipe(z.number().int('limit must be a whole number').min(1, 'limit must be at least 1').max(PAGE_LIMIT_MAX, `limit must be at most ${PAGE_LIMIT_MAX}`));

export const listTodosInput = z.strictObject({
  completed: booleanLike.optional(),
  limit: limit.default(PAGE_LIMIT_DEFAULT),
  cursor: z
    .string()
    .max(100)
    .transform((value, ctx) => {
      const decoded = decodeCursor(value);
      if (!decoded) ctx.addIssue({ code: 'custom', message: 'Invalid cursor' });
      return decoded ?? z.NEVER;
    })
    .optional(),
});

/** Cursors are opaque to clients: base64url of `p<position>` of a page's last item. */
export const encodeCursor = (pos: number): string => Buffer.from(`p${pos}`).toString('base64url');

export function decodeCursor(cursor: string): { pos: number } | null {
  const match = /^p(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { pos: Number(match[1]) } : null;
}

export const syncInput = z.strictObject({
  since: z.number({ message: 'since must be a number' }).int('since must be a whole number').min(0, 'since must be 0 or more'),
});

/** What the API answers (OpenAPI document; the domain builds these shapes, see @cobalt/contract). */
export const todoOutput = z
  .strictObject({
    id: z.string().regex(/^[a-f0-9]{24}$/),
    title: z.string().min(1).max(TITLE_MAX_LENGTH),
    completed: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z.number().int().min(1),
  })
  .meta({ id: 'Todo' });

export const todoPageOutput = z.strictObject({ items: z.array(todoOutput), nextCursor: z.string().nullable() }).meta({ id: 'TodoPage' });

export type ListTodosInput = z.output<typeof listTodosInput>;
