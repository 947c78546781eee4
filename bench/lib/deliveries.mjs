// What every fan-out receiver records, whatever the transport (Socket.IO or the peer): each
// write's title carries its run, user, channel, nonce and send time, so a receipt can be checked
// (right user? first time?) and timed on the spot.
import { nowUs } from './serve.mjs';

/** The title of one benchmark write. `tUs`: send time on the machine's monotonic clock. */
export const writeTitle = ({ run, user, channel, nonce, tUs }) => `b|${run}|${user}|${channel}|${nonce}|${tUs}`;

export function parseTitle(title) {
  if (typeof title !== 'string' || !title.startsWith('b|')) return null;
  const [, run, user, channel, nonce, tUs] = title.split('|');
  return { run, user: Number(user), channel, nonce, tUs: Number(tUs) };
}

/** Receipts of one receiving worker: per connection, nonce -> times received; latencies per channel. */
export class DeliveryLog {
  constructor() {
    this.run = null;
    this.latencies = {};
    this.sentAt = {};
    this.stale = 0;
  }

  begin(run) {
    this.run = run;
    this.latencies = {};
    this.sentAt = {};
    this.stale = 0;
  }

  /**
   * `conn.receipts` is a Map owned by the connection record. `fresh`: whether the client took the
   * event as new (the SDK drops a seq it has already; a transport without that says nothing).
   */
  record(conn, title, fresh = true) {
    const at = nowUs();
    const parsed = parseTitle(title);
    if (!parsed || parsed.run !== this.run) {
      this.stale++;
      return;
    }
    const key = `${parsed.user}|${parsed.nonce}`;
    const seen = conn.receipts.get(key) ?? 0;
    conn.receipts.set(key, seen + 1);
    // A repeat the app was given as new: what "exactly once as the client sees it" rules out.
    if (seen > 0 && fresh) (conn.freshRepeats ??= new Map()).set(key, (conn.freshRepeats.get(key) ?? 0) + 1);
    if (seen === 0) {
      (this.latencies[parsed.channel] ??= []).push((at - parsed.tUs) / 1000);
      (this.sentAt[parsed.channel] ??= []).push(parsed.tUs);
    }
  }

  /** The report the parent aggregates (see scenarios/fanout.mjs). */
  report(conns) {
    return {
      stale: this.stale,
      latencies: this.latencies,
      sentAt: this.sentAt,
      conns: conns.map((c) => ({
        user: c.user,
        device: c.device,
        instance: c.instance,
        connected: c.connected,
        drops: c.drops,
        dropReasons: c.dropReasons ?? [],
        receipts: [...c.receipts],
        freshRepeats: [...(c.freshRepeats ?? [])],
      })),
    };
  }
}
