import { createCobaltClient, memoryStorage, type CobaltClient } from '@cobalt/client';
import { FakeCobaltServer } from '@cobalt/client/testing';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { notify } from '../../../lib/notifications';
import { renderWithRouter } from '../../../testing/render';
import { TodoStoreContext } from '../hooks/use-todo-store';
import { TodoStore, type TodoFilter } from '../stores/todo-store';
import { FILTER_PATHS } from './todo-filters';
import { TodoPage } from './todo-page';

const FILTERS: TodoFilter[] = ['all', 'active', 'completed'];
const clients: CobaltClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.stop();
});

/** Lets the fake server's deliveries and the SDK's storage writes land. */
const settle = () =>
  act(async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  });

/** The todo page at its three addresses, over a real SDK client signed in to an in-memory server. */
async function renderTodos(server: FakeCobaltServer) {
  const storage = memoryStorage();
  await server.signIn(storage);
  const client = createCobaltClient({ baseUrl: 'http://cobalt.test', storage, transport: server.transport(), fetch: () => Promise.reject(new Error('no HTTP here')) });
  clients.push(client);
  await client.start();
  const store = new TodoStore(client, (message) => notify(message));
  const view = renderWithRouter(
    <TodoStoreContext value={store}>
      <Routes>
        {FILTERS.map((filter) => (
          <Route key={filter} path={FILTER_PATHS[filter]} element={<TodoPage filter={filter} />} />
        ))}
      </Routes>
    </TodoStoreContext>,
  );
  await settle();
  return { store, client, user: userEvent.setup(), ...view };
}

const titles = () => screen.queryAllByTestId('todo-title').map((el) => el.textContent);
const itemsLeft = () => screen.getByTestId('items-left').textContent;
const checkbox = (title: string) => screen.getByRole('checkbox', { name: `Mark “${title}” as done` });
const serverTitles = (server: FakeCobaltServer) => server.list().map((t) => t.title);
const writes = (server: FakeCobaltServer, event: string) => server.requests.filter((r) => r.event === event);

function seed(server: FakeCobaltServer, ...entries: (string | { title: string; completed: boolean })[]) {
  for (const entry of entries) {
    const { title, completed } = typeof entry === 'string' ? { title: entry, completed: false } : entry;
    const created = server.write('todo:create', { title }) as { data: { id: string } };
    if (completed) server.write('todo:update', { id: created.data.id, completed: true });
  }
}

describe('TodoPage', () => {
  it('when the list loads, then the todos show in creation order with the count of items left', async () => {
    const server = new FakeCobaltServer();
    seed(server, 'Buy milk', { title: 'Walk the dog', completed: true }, 'Write docs');
    await renderTodos(server);

    expect(titles()).toEqual(['Buy milk', 'Walk the dog', 'Write docs']);
    expect(checkbox('Walk the dog')).toBeChecked();
    expect(itemsLeft()).toBe('2 items left');
    expect(screen.getByRole('button', { name: 'Clear completed (1)' })).toBeEnabled();
    expect(screen.queryByTestId('pending-changes')).not.toBeInTheDocument();
  });

  it('when the user has no todos, then an empty state invites them to add one', async () => {
    await renderTodos(new FakeCobaltServer());
    expect(screen.getByText('Nothing to do yet')).toBeInTheDocument();
    expect(itemsLeft()).toBe('0 items left');
    expect(screen.getByRole('button', { name: 'Clear completed' })).toBeDisabled();
  });

  it('when changes are made offline, then they show at once as not synced, with a count, and go out when the connection is back', async () => {
    const server = new FakeCobaltServer();
    seed(server, 'Buy milk');
    const { user } = await renderTodos(server);
    server.setReachable(false);
    await settle();

    await user.type(screen.getByLabelText('New todo'), '  Call mum  {Enter}');
    await user.click(checkbox('Buy milk'));
    await settle();

    expect(titles()).toEqual(['Buy milk', 'Call mum']);
    expect(screen.getByLabelText('New todo')).toHaveValue('');
    expect(checkbox('Buy milk')).toBeChecked();
    expect(screen.getByText('“Call mum” not synced yet')).toBeInTheDocument();
    expect(screen.getByTestId('pending-changes')).toHaveTextContent('2 changes not synced yet.');
    expect(screen.queryByTestId('notification')).not.toBeInTheDocument();
    expect(serverTitles(server)).toEqual(['Buy milk']);

    server.setReachable(true);
    await settle();
    await waitFor(() => expect(screen.queryByTestId('pending-changes')).not.toBeInTheDocument());
    expect(screen.queryByText('“Call mum” not synced yet')).not.toBeInTheDocument();
    expect(server.list().map((t) => [t.title, t.completed])).toEqual([
      ['Buy milk', true],
      ['Call mum', false],
    ]);
  });

  it('when the same title is added twice quickly, then both stay, each confirmed by its own id', async () => {
    const server = new FakeCobaltServer();
    const { user } = await renderTodos(server);
    await user.type(screen.getByLabelText('New todo'), 'Water plants{Enter}');
    await user.type(screen.getByLabelText('New todo'), 'Water plants{Enter}');
    await settle();

    expect(titles()).toEqual(['Water plants', 'Water plants']);
    expect(serverTitles(server)).toEqual(['Water plants', 'Water plants']);
    expect(screen.queryByTestId('todo-pending')).not.toBeInTheDocument();
  });

  it('when an empty title is submitted, then nothing is sent and the field says why', async () => {
    const server = new FakeCobaltServer();
    const { user } = await renderTodos(server);
    await user.type(screen.getByLabelText('New todo'), '   {Enter}');
    expect(screen.getByText('Write something to do first.')).toBeInTheDocument();
    expect(screen.getByLabelText('New todo')).toHaveAttribute('aria-invalid', 'true');
    await settle();
    expect(writes(server, 'todo:create')).toHaveLength(0);
  });

  it('when the server refuses a change for good, then it is undone and a message says so', async () => {
    const server = new FakeCobaltServer();
    seed(server, 'Buy milk');
    const { user } = await renderTodos(server);
    server.refuseRequests((event) =>
      event === 'todo:update' ? { code: 'VALIDATION_FAILED', message: 'Request validation failed', details: [{ path: 'completed', message: 'Not allowed' }] } : null,
    );

    await user.click(checkbox('Buy milk'));
    await settle();

    expect(await screen.findByTestId('notification')).toHaveTextContent('The server refused your change to “Buy milk”. Not allowed');
    expect(checkbox('Buy milk')).not.toBeChecked();
    expect(itemsLeft()).toBe('1 item left');
  });

  it('when a todo is toggled, then the counts follow and the filters show it in the right list', async () => {
    const server = new FakeCobaltServer();
    seed(server, 'Buy milk', 'Walk the dog');
    const { user } = await renderTodos(server);

    await user.click(checkbox('Buy milk'));

    expect(checkbox('Buy milk')).toBeChecked();
    expect(itemsLeft()).toBe('1 item left');
    await settle();
    expect(server.list().find((t) => t.title === 'Buy milk')?.completed).toBe(true);

    await user.click(screen.getByRole('link', { name: /Active/ }));
    expect(titles()).toEqual(['Walk the dog']);
    await user.click(screen.getByRole('link', { name: /Completed/ }));
    expect(titles()).toEqual(['Buy milk']);
    expect(screen.getByRole('link', { name: /Completed/ })).toHaveAttribute('aria-current', 'page');
  });

  it('when a title is edited in place with the keyboard, then Enter saves it and Escape cancels', async () => {
    const server = new FakeCobaltServer();
    seed(server, 'Buy milk');
    const { user } = await renderTodos(server);

    await user.click(screen.getByRole('button', { name: 'Edit “Buy milk”' }));
    const editor = screen.getByRole('textbox', { name: 'Edit “Buy milk”' });
    expect(editor).toHaveFocus();
    await user.clear(editor);
    await user.type(editor, 'Buy oat milk{Enter}');

    expect(titles()).toEqual(['Buy oat milk']);
    await settle();
    expect(serverTitles(server)).toEqual(['Buy oat milk']);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Edit “Buy oat milk”' })).toHaveFocus());

    await user.dblClick(screen.getByText('Buy oat milk'));
    await user.type(screen.getByRole('textbox', { name: 'Edit “Buy oat milk”' }), ' and bread{Escape}');
    expect(titles()).toEqual(['Buy oat milk']);
    await settle();
    expect(writes(server, 'todo:update')).toHaveLength(1);
  });

  it('when a todo edited offline was deleted on another device, then the edit is dropped and the user is told', async () => {
    const server = new FakeCobaltServer();
    seed(server, 'Buy milk', 'Walk the dog');
    const { user } = await renderTodos(server);
    server.setReachable(false);
    await settle();

    await user.click(screen.getByRole('button', { name: 'Edit “Buy milk”' }));
    const editor = screen.getByRole('textbox', { name: 'Edit “Buy milk”' });
    await user.clear(editor);
    await user.type(editor, 'Buy oat milk{Enter}');
    expect(titles()).toEqual(['Buy oat milk', 'Walk the dog']);

    server.write('todo:delete', { id: server.list()[0]!.id }); // another device, meanwhile
    server.setReachable(true);
    await settle();

    expect(await screen.findByTestId('notification')).toHaveTextContent('“Buy milk” was deleted on another device, so your change was not saved.');
    expect(titles()).toEqual(['Walk the dog']);
  });

  it('when a todo is deleted, then it goes and focus moves to the next one', async () => {
    const server = new FakeCobaltServer();
    seed(server, 'Buy milk', 'Walk the dog', 'Write docs');
    const { user } = await renderTodos(server);

    await user.click(screen.getByRole('button', { name: 'Delete “Buy milk”' }));
    expect(titles()).toEqual(['Walk the dog', 'Write docs']);
    expect(checkbox('Walk the dog')).toHaveFocus();
    await settle();
    expect(serverTitles(server)).toEqual(['Walk the dog', 'Write docs']);
  });

  it('when "clear completed" is pressed, then every completed todo is deleted and the others stay', async () => {
    const server = new FakeCobaltServer();
    seed(server, { title: 'Done 1', completed: true }, 'Open', { title: 'Done 2', completed: true });
    const { user } = await renderTodos(server);

    await user.click(screen.getByRole('button', { name: 'Clear completed (2)' }));

    expect(titles()).toEqual(['Open']);
    await settle();
    expect(serverTitles(server)).toEqual(['Open']);
    expect(screen.getByRole('button', { name: 'Clear completed' })).toBeDisabled();
  });

  it('when a change made on another device arrives live, then the list shows it without any action here', async () => {
    const server = new FakeCobaltServer();
    seed(server, 'Buy milk');
    await renderTodos(server);
    const milk = server.list()[0]!;

    server.write('todo:create', { title: 'Added elsewhere' });
    server.write('todo:update', { id: milk.id, completed: true });
    await settle();

    expect(titles()).toEqual(['Buy milk', 'Added elsewhere']);
    expect(checkbox('Buy milk')).toBeChecked();
    const list = screen.getByRole('list', { name: 'All todos' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
  });
});
