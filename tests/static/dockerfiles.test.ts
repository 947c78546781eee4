import { describe, expect, it } from 'vitest';
import { readRepoFile, run, tools } from './support.js';

interface Stage {
  from: string;
  name?: string;
  lines: string[];
}

/** Stages of a Dockerfile, with `ARG` defaults substituted into FROM lines. */
function stages(file: string): Stage[] {
  const text = readRepoFile(file).replace(/\\\n/g, ' ');
  const args = new Map<string, string>();
  const out: Stage[] = [];
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))) {
    const arg = /^ARG (\w+)=(\S+)$/.exec(line);
    if (arg && out.length === 0) args.set(arg[1]!, arg[2]!);
    const from = /^FROM (\S+)(?: AS (\S+))?$/i.exec(line);
    if (from) out.push({ from: from[1]!.replace(/\$\{(\w+)\}/g, (_, n: string) => args.get(n) ?? ''), name: from[2], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const instruction = (stage: Stage, op: string) => stage.lines.filter((l) => l.startsWith(`${op} `));
const finalUser = (stage: Stage) => instruction(stage, 'USER').at(-1)?.slice(5);

describe('Dockerfiles', () => {
  it('when hadolint lints both Dockerfiles, then it finds nothing', () => {
    const res = run(tools().hadolint, ['--no-color', 'backend/Dockerfile', 'frontend/Dockerfile']);
    expect(res.code, res.output).toBe(0);
  });

  it('when the backend image is built, then it is multi-stage on Node 24, generates the Prisma client and runs dist/main.js as a numeric non-root user', () => {
    const s = stages('backend/Dockerfile');
    expect(s.length).toBeGreaterThanOrEqual(3);
    for (const stage of s) expect(stage.from).toMatch(/^(node:24-(alpine|slim|bookworm-slim)|deps)$/);
    const build = s.find((x) => x.name === 'build')!;
    expect(build.lines.join('\n')).toContain('node scripts/prisma-generate.mjs');
    expect(build.lines.join('\n')).toContain('npm run build -w backend');
    const runtime = s.at(-1)!;
    expect(runtime.name).toBe('runtime');
    expect(finalUser(runtime)).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(runtime.lines).toContain('CMD ["node", "--enable-source-maps", "dist/main.js"]');
    expect(runtime.lines.join('\n')).toContain('NODE_ENV=production');
    // migrate.ts reads <backend>/prisma/migrations relative to dist/infra/postgres.
    expect(runtime.lines).toContain('COPY --from=build /app/backend/prisma/migrations backend/prisma/migrations');
    expect(readRepoFile('backend', 'src', 'infra', 'postgres', 'migrate.ts')).toContain("'../../../prisma/migrations'");
    // Production dependencies only in the final image.
    const prodDeps = s.find((x) => x.name === 'prod-deps')!;
    expect(prodDeps.lines.join('\n')).toMatch(/npm ci --omit=dev --workspace @cobalt\/backend --workspace @cobalt\/contract/);
  });

  it('when the web image is built, then Vite builds the app and Caddy serves it with the production Caddyfile as a non-root user', () => {
    const s = stages('frontend/Dockerfile');
    for (const stage of s.slice(0, -1)) expect(stage.from).toMatch(/^(node:24-(alpine|slim|bookworm-slim)|deps)$/);
    expect(s.find((x) => x.name === 'build')!.lines.join('\n')).toContain('npm run build -w frontend');
    const web = s.at(-1)!;
    expect(web.from).toMatch(/^caddy:2[.\d]*-alpine$/);
    expect(web.lines).toContain('COPY caddy/Caddyfile.production /etc/caddy/Caddyfile');
    expect(web.lines).toContain('COPY --from=build /app/frontend/dist /srv/frontend');
    expect(readRepoFile('caddy', 'Caddyfile.production')).toContain('{$FRONTEND_DIST:/srv/frontend}');
    expect(finalUser(web)).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });

  it('when npm ci runs in an image, then the manifest of every workspace is there first, as the lockfile needs', () => {
    const workspaces: string[] = JSON.parse(readRepoFile('package.json')).workspaces;
    for (const file of ['backend/Dockerfile', 'frontend/Dockerfile']) {
      for (const stage of stages(file).filter((x) => x.lines.some((l) => l.includes('npm ci')))) {
        for (const ws of workspaces) expect(stage.lines, `${file} ${stage.name}: ${ws}`).toContain(`COPY ${ws}/package.json ${ws}/`);
      }
    }
  });

  it('when the build context is filtered by .dockerignore, then secrets and host builds stay out and every copied source stays in', () => {
    const ignore = readRepoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const pattern of ['**/node_modules', '**/dist', 'backend/src/generated', '.env', '.git']) expect(ignore).toContain(pattern);
    const plain = ignore.filter((p) => !p.startsWith('!') && !p.includes('*'));
    for (const file of ['backend/Dockerfile', 'frontend/Dockerfile']) {
      for (const stage of stages(file)) {
        for (const copy of instruction(stage, 'COPY').filter((l) => !l.includes('--from='))) {
          const sources = copy
            .split(/\s+/)
            .slice(1)
            .filter((a) => !a.startsWith('--'))
            .slice(0, -1);
          for (const src of sources) {
            const hit = plain.find((p) => src === p || src.startsWith(`${p}/`));
            expect(hit, `${file}: COPY ${src} is excluded by .dockerignore (${hit})`).toBeUndefined();
          }
        }
      }
    }
  });
});
