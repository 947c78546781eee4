import type { Page } from 'playwright-core';
import { waitUntil, type Device } from './browser';

/**
 * What a person does in the web app, written once for the scenarios. Everything goes through
 * the page as a user would: labels, roles and visible text.
 */
let counter = 0;

export interface Account {
  name: string;
  email: string;
  password: string;
}

export function newAccount(label: string): Account {
  const unique = `${Date.now()}-${process.pid}-${++counter}`;
  return { name: `${label} ${counter}`, email: `e2e-${label.toLowerCase()}-${unique}@example.test`, password: 'correct horse battery staple' };
}

export async function register(page: Page, account: Account): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Name').fill(account.name);
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await todoHeading(page).waitFor({ timeout: 15_000 });
}

export async function signIn(page: Page, account: Account): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await todoHeading(page).waitFor({ timeout: 15_000 });
}

export const todoHeading = (page: Page) => page.getByRole('heading', { name: 'Todos', level: 1 });
export const connectionStatus = (page: Page) => page.getByTestId('connection-status');

/** The backend instance the page's socket sits on, as its connection indicator says. */
export async function connectedInstance(page: Page, timeoutMs = 15_000): Promise<string> {
  const status = connectionStatus(page);
  await waitUntil('connection indicator shows an instance', timeoutMs, async () => (await status.getAttribute('data-state')) === 'live');
  const instance = await status.getAttribute('data-instance');
  const text = await status.textContent();
  if (!instance || !text?.includes(`Connected to ${instance}`)) throw new Error(`indicator says "${text}" (instance ${instance})`);
  return instance;
}

export async function connectionState(page: Page): Promise<string | null> {
  return connectionStatus(page).getAttribute('data-state');
}

export async function addTodo(page: Page, title: string): Promise<void> {
  const input = page.getByLabel('New todo');
  await input.fill(title);
  await input.press('Enter');
}

export async function renameTodo(page: Page, from: string, to: string): Promise<void> {
  await page.getByRole('button', { name: `Edit “${from}”` }).click();
  const editor = page.getByRole('textbox', { name: `Edit “${from}”` });
  await editor.fill(to);
  await editor.press('Enter');
}

export const todoCheckbox = (page: Page, title: string) => page.getByRole('checkbox', { name: `Mark “${title}” as done` });

export async function deleteTodo(page: Page, title: string): Promise<void> {
  await page.getByRole('button', { name: `Delete “${title}”` }).click();
}

export async function clearCompleted(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^Clear completed/ }).click();
}

export interface ShownTodo {
  title: string;
  completed: boolean;
}

/** The list as the page shows it (the "All" view), in order. */
export async function shownTodos(page: Page): Promise<ShownTodo[]> {
  return page.getByTestId('todo-item').evaluateAll((items) =>
    items.map((item) => ({
      title: item.querySelector('[data-testid="todo-title"]')?.textContent ?? '',
      completed: item.querySelector<HTMLInputElement>('input[type="checkbox"]')?.checked ?? false,
    })),
  );
}

export const shownTitles = async (page: Page) => (await shownTodos(page)).map((t) => t.title);

/** Waits until `page` shows exactly `expected`; returns how long that took. */
export function waitForTodos(page: Page, expected: ShownTodo[], timeoutMs: number, what = 'list'): Promise<number> {
  const want = JSON.stringify(expected);
  let last = '';
  return waitUntil(`${what} shows ${want}`, timeoutMs, async () => {
    last = JSON.stringify(await shownTodos(page));
    return last === want;
  }).catch((error: Error) => {
    error.message += ` (last seen: ${last})`;
    throw error;
  });
}

/**
 * Opens (or reloads) `page` until its socket sits on another instance than `other`. Caddy pins
 * a browser to one instance with the `cobalt_lb` cookie, so the cookie is dropped before each try.
 */
export async function landOnAnotherInstance(device: Device, page: Page, other: string): Promise<string> {
  for (let attempt = 1; attempt <= 25; attempt++) {
    await device.context.clearCookies({ name: 'cobalt_lb' });
    if (attempt === 1) await page.goto('/');
    else await page.reload();
    const instance = await connectedInstance(page);
    if (instance !== other) return instance;
  }
  throw new Error(`every try landed on ${other}`);
}
