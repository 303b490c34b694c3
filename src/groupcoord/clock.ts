// Time and timers behind an interface, so the group state machine runs against real timers in the broker and
// against a hand-advanced clock in tests (rebalance, session and retention timeouts are all timer-driven).

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs fn once after delayMs. */
  schedule(delayMs: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
}

// setTimeout fires at once for delays above 2^31-1 ms; Kafka timeouts are int32 so clamping loses nothing real.
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** Wall clock with Node timers. Timers are unref'd: a pending session timeout must not keep the process alive. */
export class SystemClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY),
    );
    t.unref();
    this.timers.set(id, t);
    return { id };
  }

  cancel(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t !== undefined) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }
}

/**
 * Named one-shot timers on top of a Clock, grouped by scope (a group id): setting a name replaces that name's
 * pending timer, which is how "reset the session timeout on heartbeat" and "replace the rebalance delay" are
 * expressed, and a whole scope is cancelled at once when its group is unloaded.
 */
export class KeyedTimers {
  private readonly scopes = new Map<string, Map<string, TimerHandle>>();

  /** onError receives anything a timer callback throws: a throw from a timer would otherwise kill the process. */
  constructor(
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void = (err) => {
      throw err;
    },
  ) {}

  set(scope: string, name: string, delayMs: number, fn: () => void): void {
    this.cancel(scope, name);
    let timers = this.scopes.get(scope);
    if (timers === undefined) this.scopes.set(scope, (timers = new Map()));
    const handle = this.clock.schedule(delayMs, () => {
      // Only the latest timer for a name may run: a replaced one was cancelled, but guard anyway.
      const current = this.scopes.get(scope);
      if (current?.get(name) !== handle) return;
      current.delete(name);
      if (current.size === 0) this.scopes.delete(scope);
      try {
        fn();
      } catch (err) {
        this.onError(err);
      }
    });
    timers.set(name, handle);
  }

  cancel(scope: string, name: string): void {
    const timers = this.scopes.get(scope);
    const h = timers?.get(name);
    if (timers === undefined || h === undefined) return;
    this.clock.cancel(h);
    timers.delete(name);
    if (timers.size === 0) this.scopes.delete(scope);
  }

  has(scope: string, name: string): boolean {
    return this.scopes.get(scope)?.has(name) ?? false;
  }

  /** Cancels every timer of a scope. */
  cancelScope(scope: string): void {
    const timers = this.scopes.get(scope);
    if (timers === undefined) return;
    for (const h of timers.values()) this.clock.cancel(h);
    this.scopes.delete(scope);
  }

  cancelAll(): void {
    for (const scope of [...this.scopes.keys()]) this.cancelScope(scope);
  }
}
