// A clock for tests: time moves only when advance() is called, and due timers run in deadline order (ties in
// scheduling order), including timers scheduled by other timers inside the advanced window.

import type { Clock, TimerHandle } from './clock';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private pending: Pending[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.pending.push({ id, at: this.time + Math.max(0, delayMs), fn });
    return { id };
  }

  cancel(handle: TimerHandle): void {
    this.pending = this.pending.filter((p) => p.id !== handle.id);
  }

  /** Moves time forward by ms, running every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.pending) {
        if (p.at <= target && (next === undefined || p.at < next.at || (p.at === next.at && p.id < next.id))) next = p;
      }
      if (next === undefined) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = target;
  }

  /** Number of timers not yet run (for assertions that nothing leaks). */
  get pendingCount(): number {
    return this.pending.length;
  }
}
