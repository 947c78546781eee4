import { z } from 'zod';

/**
 * The app's configuration, read from Vite's `import.meta.env` once at boot and checked with a
 * schema, so a bad value stops the app with a clear message instead of failing later.
 *
 * | variable                     | default | meaning                                                         |
 * |------------------------------|---------|-----------------------------------------------------------------|
 * | VITE_API_URL                 | ''      | Origin of REST, GraphQL and Socket.IO; '' means the page's own   |
 * | VITE_REFRESH_LEEWAY_SECONDS  | 90      | Refresh the access token this long before it expires            |
 * | VITE_SYNC_TIMEOUT_MS         | 10000   | How long a `sync` request may take before it is sent again      |
 */
const envSchema = z.object({
  VITE_API_URL: z
    .union([z.literal(''), z.url({ message: 'VITE_API_URL must be an absolute URL or empty' })])
    .default('')
    .transform((url) => url.replace(/\/+$/, '')),
  VITE_REFRESH_LEEWAY_SECONDS: z.coerce.number().int().min(5).max(600).default(90),
  VITE_SYNC_TIMEOUT_MS: z.coerce.number().int().min(1000).max(60_000).default(10_000),
});

export type Env = z.infer<typeof envSchema>;

export function parseEnv(source: Record<string, unknown>): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid app configuration: ${problems}`);
  }
  return result.data;
}

export const env: Env = parseEnv(import.meta.env);
