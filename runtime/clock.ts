// Time, injected. Every timer in mesos-ts goes through a Clock so that tests can swap the real
// one for a ManualClock and drive time with advance(); delays beyond setTimeout's 2^31-1 ms
// limit are chained rather than firing at once (libprocess's MESOS-7661 lesson).

export type Cancel = () => void;

export interface Clock {
  now(): number;
  /** Calls fn once after ms; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): Cancel;
}

const MAX_TIMEOUT = 2 ** 31 - 1;

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(ms: number, fn: () => void): Cancel {
    let handle: NodeJS.Timeout;
    const arm = (remaining: number): void => {
      const step = Math.min(Math.max(remaining, 0), MAX_TIMEOUT);
      handle = setTimeout(() => (remaining > MAX_TIMEOUT ? arm(remaining - step) : fn()), step);
      handle.unref?.();
    };
    arm(ms);
    return () => clearTimeout(handle);
  }
}

interface ManualTimer {
  deadline: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when told to: advance(ms) fires due timers in deadline order. */
export class ManualClock implements Clock {
  private current: number;
  private timers: ManualTimer[] = [];
  private seq = 0;

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): Cancel {
    const timer: ManualTimer = { deadline: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      const i = this.timers.indexOf(timer);
      if (i >= 0) this.timers.splice(i, 1);
    };
  }

  /** Moves time forward by ms, firing every timer that falls due, each at its own deadline. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.deadline > target) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.current = Math.max(this.current, next.deadline);
      next.fn();
    }
    this.current = target;
  }

  /** Fires timers already due at the current time (e.g. armed with a zero delay). */
  fireDue(): boolean {
    const before = this.timers.length;
    this.advance(0);
    return this.timers.length !== before;
  }

  hasDueTimers(): boolean {
    return this.timers.some((t) => t.deadline <= this.current);
  }

  /** The deadline of the next timer, if any: tests can advance straight to it. */
  nextDeadline(): number | undefined {
    return this.earliest()?.deadline;
  }

  private earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (!best || t.deadline < best.deadline || (t.deadline === best.deadline && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
