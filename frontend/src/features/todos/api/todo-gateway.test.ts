import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../lib/api-error';
import { sendOnce } from './todo-gateway';

describe('sendOnce', () => {
  it('when the answer is lost, then the write is sent again with the same clientMutationId', async () => {
    const ids: string[] = [];
    const write = vi.fn(async (id: string) => {
      ids.push(id);
      if (ids.length < 3) throw new ApiError('UNAVAILABLE', 'Service unavailable', { status: 502 });
      return 'done';
    });
    await expect(sendOnce(write, [1, 1, 1])).resolves.toBe('done');
    expect(write).toHaveBeenCalledTimes(3);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when the server refuses the write, then it is not retried', async () => {
    const write = vi.fn(async () => {
      throw new ApiError('NOT_FOUND', 'Todo not found', { status: 200 });
    });
    await expect(sendOnce(write, [1, 1])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('when every attempt fails, then the last error is thrown after the retries run out', async () => {
    const write = vi.fn(async () => {
      throw new ApiError('NETWORK', 'offline');
    });
    await expect(sendOnce(write, [1, 1])).rejects.toMatchObject({ code: 'NETWORK' });
    expect(write).toHaveBeenCalledTimes(3);
  });

  it('when a retry finds the first attempt still in progress (its instance died holding the key), then it waits and asks again until the write is done', async () => {
    const ids: string[] = [];
    const write = vi.fn(async (id: string) => {
      ids.push(id);
      if (ids.length === 1) throw new ApiError('NETWORK', 'connection reset');
      if (ids.length < 4) throw new ApiError('CONFLICT', 'still in progress', { status: 200, details: { reason: 'in_progress' } });
      return 'done';
    });
    await expect(sendOnce(write, [1], 5_000)).resolves.toBe('done');
    expect(write).toHaveBeenCalledTimes(4);
    expect(new Set(ids).size).toBe(1);
  });

  it('when the key conflicts for another reason, or on the first attempt, then it is not retried', async () => {
    const reused = vi.fn(async () => {
      throw new ApiError('CONFLICT', 'key used for a different request', { status: 409 });
    });
    await expect(sendOnce(reused, [1, 1])).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(reused).toHaveBeenCalledTimes(1);
    const first = vi.fn(async () => {
      throw new ApiError('CONFLICT', 'still in progress', { status: 409, details: { reason: 'in_progress' } });
    });
    await expect(sendOnce(first, [1, 1])).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(first).toHaveBeenCalledTimes(1);
  });

  it('when the key stays in progress past the wait budget, then the last answer is thrown', async () => {
    const write = vi.fn(async (_id: string) => {
      if (write.mock.calls.length === 1) throw new ApiError('NETWORK', 'connection reset');
      throw new ApiError('CONFLICT', 'still in progress', { status: 409, details: { reason: 'in_progress' }, retryAfterSeconds: 0.01 });
    });
    await expect(sendOnce(write, [1], 50)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(write.mock.calls.length).toBeGreaterThan(3);
    expect(write.mock.calls.length).toBeLessThan(10);
  });

  it('when each write is sent, then it gets its own id', async () => {
    const seen: string[] = [];
    await sendOnce(async (id) => seen.push(id));
    await sendOnce(async (id) => seen.push(id));
    expect(seen[0]).not.toBe(seen[1]);
  });
});
