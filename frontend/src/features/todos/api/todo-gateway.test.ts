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

  it('when each write is sent, then it gets its own id', async () => {
    const seen: string[] = [];
    await sendOnce(async (id) => seen.push(id));
    await sendOnce(async (id) => seen.push(id));
    expect(seen[0]).not.toBe(seen[1]);
  });
});
