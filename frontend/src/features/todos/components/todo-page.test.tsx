import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { notify } from '../../../lib/notifications';
import { FakeTodoGateway } from '../../../testing/fake-todo-gateway';
import { renderWithRouter } from '../../../testing/render';
import { TodoStoreContext } from '../hooks/use-todo-store';
import { TodoStore, type TodoFilter } from '../stores/todo-store';
import { FILTER_PATHS } from './todo-filters';
import { TodoPage } from './todo-page';

const FILTERS: TodoFilter[] = ['all', 'active', 'completed'];

/** The todo page at its three addresses, as the app routes it, over a store backed by `gateway`. */
async function renderTodos(gateway: FakeTodoGateway) {
  const store = new TodoStore(gateway, (message) => notify(message));
  const view = renderWithRouter(
    <TodoStoreContext value={store}>
      <Routes>
        {FILTERS.map((filter) => (
          <Route key={filter} path={FILTER_PATHS[filter]} element={<TodoPage filter={filter} />} />
        ))}
      </Routes>
    </TodoStoreContext>,
  );
  await act(() => store.load());
  return { store, user: userEvent.setup(), ...view };
}

const titles = () => screen.queryAllByTestId('todo-title').map((el) => el.textContent);
const itemsLeft = () => screen.getByTestId('items-left').textContent;
const checkbox = (title: string) => screen.getByRole('checkbox', { name: `Mark “${title}” as done` });

describe('TodoPage', () => {
  it('when the list loads, then the todos show in creation order with the count of items left', async () => {
    const gateway = new FakeTodoGateway();
    gateway.seed('Buy milk', { title: 'Walk the dog', completed: true }, 'Write docs');
    await renderTodos(gateway);

    expect(titles()).toEqual(['Buy milk', 'Walk the dog', 'Write docs']);
    expect(checkbox('Walk the dog')).toBeChecked();
    expect(itemsLeft()).toBe('2 items left');
    expect(screen.getByRole('button', { name: 'Clear completed (1)' })).toBeEnabled();
  });

  it('when the user has no todos, then an empty state invites them to add one', async () => {
    await renderTodos(new FakeTodoGateway());
    expect(screen.getByText('Nothing to do yet')).toBeInTheDocument();
    expect(itemsLeft()).toBe('0 items left');
    expect(screen.getByRole('button', { name: 'Clear completed' })).toBeDisabled();
  });

  it('when a todo is added, then it shows at once while saving, and stays once the server confirms it', async () => {
    const gateway = new FakeTodoGateway();
    const { user } = await renderTodos(gateway);
    const release = gateway.hold('create');

    await user.type(screen.getByLabelText('New todo'), '  Call mum  {Enter}');

    expect(titles()).toEqual(['Call mum']);
    expect(screen.getByText('Saving “Call mum”')).toBeInTheDocument();
    expect(screen.getByLabelText('New todo')).toHaveValue('');
    expect(itemsLeft()).toBe('1 item left');

    await act(async () => release());
    await waitFor(() => expect(screen.queryByText('Saving “Call mum”')).not.toBeInTheDocument());
    expect(titles()).toEqual(['Call mum']);
    expect(gateway.calls.filter((c) => c.method === 'create').map((c) => c.args[0])).toEqual(['Call mum']);
    expect([...gateway.todos.values()].map((t) => t.title)).toEqual(['Call mum']);
  });

  it('when the broadcast of a new todo arrives before the answer to the request, then it still shows once', async () => {
    const gateway = new FakeTodoGateway();
    const { user, store } = await renderTodos(gateway);
    const release = gateway.hold('create');

    await user.type(screen.getByLabelText('New todo'), 'Call mum{Enter}');
    const [stored] = [...gateway.todos.values()]; // stored on the server, the answer still on its way
    act(() => store.receive({ type: 'todo:created', todo: stored!, seq: 1 }));

    expect(titles()).toEqual(['Call mum']);
    await act(async () => release());
    await waitFor(() => expect(screen.queryByText('Saving “Call mum”')).not.toBeInTheDocument());
    expect(titles()).toEqual(['Call mum']);
  });

  it('when an empty title is submitted, then nothing is sent and the field says why', async () => {
    const gateway = new FakeTodoGateway();
    const { user } = await renderTodos(gateway);
    await user.type(screen.getByLabelText('New todo'), '   {Enter}');
    expect(screen.getByText('Write something to do first.')).toBeInTheDocument();
    expect(screen.getByLabelText('New todo')).toHaveAttribute('aria-invalid', 'true');
    expect(gateway.calls.filter((c) => c.method === 'create')).toHaveLength(0);
  });

  it('when the server refuses a new todo, then it disappears, a message says so and the text comes back', async () => {
    const gateway = new FakeTodoGateway();
    const { user } = await renderTodos(gateway);
    gateway.failNext('create', 'UNAVAILABLE');

    await user.type(screen.getByLabelText('New todo'), 'Pay rent{Enter}');

    const message = await screen.findByTestId('notification');
    expect(message).toHaveTextContent('Couldn\'t add “Pay rent”. The service is briefly unavailable');
    expect(titles()).toEqual([]);
    expect(screen.getByLabelText('New todo')).toHaveValue('Pay rent');
  });

  it('when a todo is toggled, then the counts follow and the filters show it in the right list', async () => {
    const gateway = new FakeTodoGateway();
    gateway.seed('Buy milk', 'Walk the dog');
    const { user } = await renderTodos(gateway);

    await user.click(checkbox('Buy milk'));

    expect(checkbox('Buy milk')).toBeChecked();
    expect(itemsLeft()).toBe('1 item left');
    await waitFor(() => expect([...gateway.todos.values()].find((t) => t.title === 'Buy milk')?.completed).toBe(true));

    await user.click(screen.getByRole('link', { name: /Active/ }));
    expect(titles()).toEqual(['Walk the dog']);
    await user.click(screen.getByRole('link', { name: /Completed/ }));
    expect(titles()).toEqual(['Buy milk']);
    expect(screen.getByRole('link', { name: /Completed/ })).toHaveAttribute('aria-current', 'page');
  });

  it('when a title is edited in place with the keyboard, then Enter saves it and Escape cancels', async () => {
    const gateway = new FakeTodoGateway();
    gateway.seed('Buy milk');
    const { user } = await renderTodos(gateway);

    await user.click(screen.getByRole('button', { name: 'Edit “Buy milk”' }));
    const editor = screen.getByRole('textbox', { name: 'Edit “Buy milk”' });
    expect(editor).toHaveFocus();
    await user.clear(editor);
    await user.type(editor, 'Buy oat milk{Enter}');

    expect(titles()).toEqual(['Buy oat milk']);
    await waitFor(() => expect([...gateway.todos.values()][0]?.title).toBe('Buy oat milk'));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Edit “Buy oat milk”' })).toHaveFocus());

    await user.dblClick(screen.getByText('Buy oat milk'));
    await user.type(screen.getByRole('textbox', { name: 'Edit “Buy oat milk”' }), ' and bread{Escape}');
    expect(titles()).toEqual(['Buy oat milk']);
    expect(gateway.calls.filter((c) => c.method === 'update')).toHaveLength(1);
  });

  it('when an edited todo was deleted on another device, then the edit is rolled back and the user is told', async () => {
    const gateway = new FakeTodoGateway();
    const [milk] = gateway.seed('Buy milk', 'Walk the dog');
    const { user } = await renderTodos(gateway);
    gateway.todos.delete(milk!.id); // gone on the server, this tab has not heard yet

    await user.click(screen.getByRole('button', { name: 'Edit “Buy milk”' }));
    const editor = screen.getByRole('textbox', { name: 'Edit “Buy milk”' });
    await user.clear(editor);
    await user.type(editor, 'Buy oat milk{Enter}');

    expect(await screen.findByTestId('notification')).toHaveTextContent('“Buy milk” was deleted on another device, so your change was not saved.');
    expect(titles()).toEqual(['Walk the dog']);
  });

  it('when a toggle is refused, then the checkbox goes back and a message explains', async () => {
    const gateway = new FakeTodoGateway();
    gateway.seed('Buy milk');
    const { user } = await renderTodos(gateway);
    gateway.failNext('update', 'INTERNAL');

    await user.click(checkbox('Buy milk'));

    expect(await screen.findByTestId('notification')).toHaveTextContent('Couldn\'t update “Buy milk”. Something went wrong on our side.');
    expect(checkbox('Buy milk')).not.toBeChecked();
    expect(itemsLeft()).toBe('1 item left');
  });

  it('when a todo is deleted, then it goes and focus moves to the next one; a refused delete brings it back', async () => {
    const gateway = new FakeTodoGateway();
    gateway.seed('Buy milk', 'Walk the dog', 'Write docs');
    const { user } = await renderTodos(gateway);

    await user.click(screen.getByRole('button', { name: 'Delete “Buy milk”' }));
    expect(titles()).toEqual(['Walk the dog', 'Write docs']);
    expect(checkbox('Walk the dog')).toHaveFocus();
    await waitFor(() => expect(gateway.todos.size).toBe(2));

    gateway.failNext('remove', 'UNAVAILABLE');
    await user.click(screen.getByRole('button', { name: 'Delete “Write docs”' }));
    expect(await screen.findByTestId('notification')).toHaveTextContent('Couldn\'t delete “Write docs”.');
    expect(titles()).toEqual(['Walk the dog', 'Write docs']);
  });

  it('when "clear completed" is pressed, then every completed todo is deleted and the others stay', async () => {
    const gateway = new FakeTodoGateway();
    gateway.seed({ title: 'Done 1', completed: true }, 'Open', { title: 'Done 2', completed: true });
    const { user } = await renderTodos(gateway);

    await user.click(screen.getByRole('button', { name: 'Clear completed (2)' }));

    expect(titles()).toEqual(['Open']);
    await waitFor(() => expect([...gateway.todos.values()].map((t) => t.title)).toEqual(['Open']));
    expect(screen.getByRole('button', { name: 'Clear completed' })).toBeDisabled();
  });

  it('when a change made on another device arrives live, then the list shows it without any action here', async () => {
    const gateway = new FakeTodoGateway();
    const [milk] = gateway.seed('Buy milk');
    const { store } = await renderTodos(gateway);
    const [remote] = gateway.seed('Added elsewhere');

    act(() => store.receive({ type: 'todo:created', todo: remote!, seq: 2 }));
    act(() => store.receive({ type: 'todo:updated', todo: { ...milk!, completed: true, version: 2 }, seq: 3 }));

    expect(titles()).toEqual(['Buy milk', 'Added elsewhere']);
    expect(checkbox('Buy milk')).toBeChecked();
    const list = screen.getByRole('list', { name: 'All todos' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
  });
});
