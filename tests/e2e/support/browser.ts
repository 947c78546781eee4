import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { requireEnv } from '../../../backend/test/support/env.js';
import { CHROMIUM_NAMES, CHROMIUM_PATHS, findChromium } from '../../../scripts/lib/executables.mjs';

/** Chromium from the system's packages (never a downloaded build), wherever the system has it, headless, quiet, no sandbox. */
let chromiumPath: string | undefined;
function systemChromium(): string {
  chromiumPath ??= findChromium() ?? undefined;
  if (!chromiumPath)
    throw new Error(
      `no Chromium that starts: looked for ${CHROMIUM_NAMES.join(', ')} on PATH and at ${CHROMIUM_PATHS.join(', ')}; npm test installs it with apt, or set COBALT_CHROMIUM`,
    );
  return chromiumPath;
}
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const ARTIFACTS_DIR = join(process.cwd(), 'test-results', 'e2e');

/** The public entry (Caddy) of the running cluster. */
export const appUrl = () => requireEnv('COBALT_TEST_HTTP_URL');

/**
 * Starts Chromium. Playwright gives every launch a new temporary profile (user data dir) and
 * every context its own cookie jar, so each context is a separate device.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: systemChromium(), headless: true, args: CHROMIUM_ARGS });
}

/**
 * A browser with a profile on disk (`userDataDir`): closing it and launching it again on the same
 * directory is a browser restart, with its cookies, IndexedDB and service worker kept.
 */
export async function launchPersistentDevice(userDataDir: string): Promise<Device> {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: systemChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
    baseURL: appUrl(),
    viewport: { width: 1100, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const log: string[] = [];
  watch(page, log);
  return { context, page, log };
}

export interface Device {
  context: BrowserContext;
  page: Page;
  /** The page's console errors and uncaught exceptions, kept for failure reports. */
  log: string[];
}

export async function newDevice(browser: Browser, options: { viewport?: { width: number; height: number } } = {}): Promise<Device> {
  const context = await browser.newContext({ baseURL: appUrl(), viewport: options.viewport ?? { width: 1100, height: 800 } });
  const page = await context.newPage();
  const log: string[] = [];
  watch(page, log);
  return { context, page, log };
}

/** Another tab of the same device (same cookies). */
export async function newTab(device: Device): Promise<Page> {
  const page = await device.context.newPage();
  watch(page, device.log);
  return page;
}

function watch(page: Page, log: string[]) {
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') log.push(`[console.${message.type()}] ${message.text()}`);
  });
  page.on('pageerror', (error) => log.push(`[pageerror] ${error.message}`));
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);

/**
 * Runs one step of a scenario. If it fails, a screenshot of every page involved (and their
 * console errors) is kept under test-results/e2e/ for the report, then the failure goes on.
 */
export async function step<T>(name: string, pages: Record<string, Page | Device>, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const test = slug(expect.getState().currentTestName ?? 'test');
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    for (const [label, target] of Object.entries(pages)) {
      const page = 'page' in target ? target.page : target;
      const base = join(ARTIFACTS_DIR, `${test}--${slug(name)}--${slug(label)}`);
      await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5_000 }).catch(() => undefined);
      if ('log' in target && target.log.length) writeFileSync(`${base}.log`, `${target.log.join('\n')}\n`);
    }
    if (error instanceof Error) error.message = `step "${name}": ${error.message}`;
    throw error;
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the time it took. */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
