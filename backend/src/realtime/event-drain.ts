/**
 * The client events being handled on one server, and whether it still takes new ones: at
 * shutdown, new events are refused while the running ones get a grace period to finish, so
 * their outcome is stored and acknowledged before the transports and stores close.
 */
export class EventDrain {
  private running = 0;
  private closing = false;
  private readonly idle = new Set<() => void>();

  /** Whether shutdown has begun: new events are to be refused. */
  get draining(): boolean {
    return this.closing;
  }

  started(): void {
    this.running++;
  }

  finished(): void {
    if (--this.running === 0) for (const done of [...this.idle]) done();
  }

  /** Refuses new events from now on and waits up to `graceMs` for the running ones. */
  async drain(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.running === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, graceMs);
      const idle = this.idle;
      function done() {
        clearTimeout(timer);
        idle.delete(done);
        resolve();
      }
      idle.add(done);
    });
  }
}
