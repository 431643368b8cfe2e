// Per-key throttle: the first update of a key applies at once, later ones within
// the interval collapse into one trailing update carrying the newest value.
// Urgent updates (status changes) apply at once and drop what is pending.

export const PROGRESS_INTERVAL_MS = 250; // ≤ 4 progress renders per second per stage

export class Coalescer<T> {
  private last = new Map<string, number>();
  private pending = new Map<string, { value: T; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly apply: (value: T) => void,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  push(key: string, value: T, urgent = false): void {
    const now = Date.now();
    const p = this.pending.get(key);
    if (urgent) {
      if (p) {
        clearTimeout(p.timer);
        this.pending.delete(key);
      }
      this.run(key, value, now);
      return;
    }
    if (p) {
      p.value = value;
      return;
    }
    const last = this.last.get(key);
    if (last === undefined || now - last >= this.intervalMs) {
      this.run(key, value, now);
      return;
    }
    const timer = setTimeout(() => {
      const q = this.pending.get(key);
      this.pending.delete(key);
      if (q) this.run(key, q.value, Date.now());
    }, last + this.intervalMs - now);
    this.pending.set(key, { value, timer });
  }

  /** Number of keys with an update waiting. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Applies everything pending now. */
  flush(): void {
    for (const [key, p] of [...this.pending]) {
      clearTimeout(p.timer);
      this.pending.delete(key);
      this.run(key, p.value, Date.now());
    }
  }

  /** Drops pending updates (a fresher snapshot replaced them); keeps the rate history. */
  cancelPending(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  /** Drops pending updates and history. */
  reset(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.last.clear();
  }

  private run(key: string, value: T, now: number): void {
    this.last.set(key, now);
    this.apply(value);
  }
}
