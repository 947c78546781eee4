import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../../lib/session';
import { renderWithRouter } from '../../../testing/render';
import { fakeAccessToken } from '../../../testing/tokens';
import { RegisterForm } from './register-form';
import { SignInForm } from './sign-in-form';

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

/** Answers fetch calls with `reply` and records what the form sent. */
function stubServer(reply: (sent: Sent) => { status: number; body?: unknown; headers?: Record<string, string> }) {
  const sent: Sent[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const request: Sent = { url: String(url), method: init.method ?? 'GET', headers: new Headers(init.headers), body: init.body ? JSON.parse(init.body as string) : undefined };
      sent.push(request);
      const { status, body, headers } = reply(request);
      return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
    }),
  );
  return sent;
}

const ada = { id: 'a5f0c1de-0000-4000-8000-000000000001', email: 'ada@example.com', name: 'Ada' };
const authResult = (sessionId: string) => ({ user: ada, accessToken: fakeAccessToken({ sub: ada.id, sid: sessionId }), sessionId });

type User = ReturnType<typeof userEvent.setup>;

async function fillSignIn(user: User, email: string, password: string) {
  await user.type(screen.getByLabelText('Email'), email);
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

async function fillRegister(user: User, { name = 'Ada', email = 'ada@example.com', password = 'correct horse battery' } = {}) {
  await user.type(screen.getByLabelText('Name'), name);
  await user.type(screen.getByLabelText('Email'), email);
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Create account' }));
}

beforeEach(async () => {
  await session.start();
  await session.signOut();
});
afterEach(async () => {
  await session.signOut();
  vi.unstubAllGlobals();
});

describe('SignInForm', () => {
  it('when the email is not valid, then the field says so, gets focus, and nothing is sent', async () => {
    const sent = stubServer(() => ({ status: 500 }));
    const user = userEvent.setup();
    renderWithRouter(<SignInForm />);

    await fillSignIn(user, 'ada-at-example', 'secret');

    const email = screen.getByLabelText('Email');
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveAccessibleDescription('Enter a valid email address, like ada@example.com.');
    expect(email).toHaveFocus();
    expect(sent).toHaveLength(0);
  });

  it('when both fields are empty, then each one says what is missing', async () => {
    stubServer(() => ({ status: 500 }));
    const user = userEvent.setup();
    renderWithRouter(<SignInForm />);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('Enter your email address.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password.');
  });

  it('when the credentials are right, then it signs in as a web client and the session starts', async () => {
    const sent = stubServer(() => ({ status: 200, body: authResult('0b7c2d9e-1111-4000-8000-000000000002') }));
    const user = userEvent.setup();
    renderWithRouter(<SignInForm />);

    await user.type(screen.getByLabelText('Email'), '  Ada@Example.COM ');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.keyboard('{Enter}');

    await waitFor(() => expect(session.state.getSnapshot().status).toBe('signed-in'));
    expect(sent).toHaveLength(1);
    const [login] = sent;
    expect(login?.url).toBe('/api/auth/login');
    expect(login?.method).toBe('POST');
    expect(login?.headers.get('x-cobalt-client')).toBe('web');
    expect(login?.body).toMatchObject({ email: 'ada@example.com', password: 'correct horse battery' });
    expect(typeof login?.body?.device).toBe('string');
    expect(session.state.getSnapshot()).toEqual({ status: 'signed-in', user: ada, sessionId: '0b7c2d9e-1111-4000-8000-000000000002' });
  });

  it('when the server refuses the credentials, then the form shows why and keeps what was typed', async () => {
    stubServer(() => ({ status: 401, body: { error: { code: 'INVALID_CREDENTIALS', message: 'Email or password is incorrect' } } }));
    const user = userEvent.setup();
    renderWithRouter(<SignInForm />);

    await fillSignIn(user, 'ada@example.com', 'wrong password');

    expect(await screen.findByRole('alert')).toHaveTextContent('That email and password do not match an account.');
    expect(screen.getByLabelText('Email')).toHaveValue('ada@example.com');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeEnabled();
    expect(session.state.getSnapshot().status).toBe('signed-out');
  });

  it('when sign-ins are rate limited, then the message says how long to wait', async () => {
    stubServer(() => ({ status: 429, headers: { 'retry-after': '39' }, body: { error: { code: 'RATE_LIMITED', message: 'Too many requests, retry later' } } }));
    const user = userEvent.setup();
    renderWithRouter(<SignInForm />);
    await fillSignIn(user, 'ada@example.com', 'whatever');
    expect(await screen.findByRole('alert')).toHaveTextContent('Please wait 39 s');
  });

  it('when the session was ended elsewhere, then the notice is shown above the form', () => {
    renderWithRouter(<SignInForm notice="This device was signed out from another device. Sign in again to continue." />);
    expect(screen.getByRole('status')).toHaveTextContent('This device was signed out from another device.');
  });

  it('when the password is revealed, then it can be read and hidden again', async () => {
    const user = userEvent.setup();
    renderWithRouter(<SignInForm />);
    const password = screen.getByLabelText('Password');
    expect(password).toHaveAttribute('type', 'password');
    await user.click(screen.getByRole('button', { name: 'Show password' }));
    expect(password).toHaveAttribute('type', 'text');
    expect(screen.getByRole('button', { name: 'Show password' })).toHaveAttribute('aria-pressed', 'true');
  });
});

describe('RegisterForm', () => {
  it('when the password is too short, then the rule is shown and nothing is sent', async () => {
    const sent = stubServer(() => ({ status: 500 }));
    const user = userEvent.setup();
    renderWithRouter(<RegisterForm />);

    await fillRegister(user, { password: 'short' });

    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Use at least 8 characters.');
    expect(screen.getByLabelText('Password')).toHaveFocus();
    expect(sent).toHaveLength(0);
  });

  it('when the details are valid, then the account is created as a web client and the session starts', async () => {
    const sent = stubServer(() => ({ status: 201, body: authResult('0b7c2d9e-2222-4000-8000-000000000003') }));
    const user = userEvent.setup();
    renderWithRouter(<RegisterForm />);

    await fillRegister(user, { name: ' Ada ' });

    await waitFor(() => expect(session.state.getSnapshot().status).toBe('signed-in'));
    expect(sent[0]?.url).toBe('/api/auth/register');
    expect(sent[0]?.headers.get('x-cobalt-client')).toBe('web');
    expect(sent[0]?.body).toMatchObject({ name: 'Ada', email: 'ada@example.com', password: 'correct horse battery' });
  });

  it('when the email already has an account, then the form says so', async () => {
    stubServer(() => ({ status: 409, body: { error: { code: 'CONFLICT', message: 'An account with this email already exists' } } }));
    const user = userEvent.setup();
    renderWithRouter(<RegisterForm />);
    await fillRegister(user);
    expect(await screen.findByRole('alert')).toHaveTextContent('An account with this email already exists.');
  });

  it('when the server finds a problem with one field, then that field shows it', async () => {
    stubServer(() => ({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', message: 'Request validation failed', details: [{ path: 'email', message: 'Email domain is not accepted' }] } },
    }));
    const user = userEvent.setup();
    renderWithRouter(<RegisterForm />);
    await fillRegister(user);
    await waitFor(() => expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('Email domain is not accepted'));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
