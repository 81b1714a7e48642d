// Every timer and every background delivery the simulator starts goes through here, so idle()
// knows when playback is over and close() can stop everything at once.

export class Scheduler {
  private readonly playbackTimers = new Set<NodeJS.Timeout>();
  private readonly otherTimers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private closed = false;
  private waiters: Array<() => void> = [];

  /**
   * `isQuiet` adds the caller's own condition for idleness (e.g. every call has ended);
   * `onError` hears what a timer threw (a test's script or lose callback), which must not crash the process.
   */
  constructor(
    private readonly isQuiet: () => boolean,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** A playback step: idle() waits for it. */
  after(ms: number, run: () => void): void {
    this.schedule(this.playbackTimers, ms, run);
  }

  /** A timer idle() does not wait for (response latency, a hung request); close() still clears it. */
  afterUntracked(ms: number, run: () => void): void {
    this.schedule(this.otherTimers, ms, run);
  }

  /** Background work idle() waits for (a webhook delivery). */
  track(work: Promise<unknown>): void {
    this.inFlight += 1;
    void work.finally(() => {
      this.inFlight -= 1;
      this.settle();
    });
  }

  idle(): Promise<void> {
    if (this.closed || this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops every timer and releases idle() waiters. */
  close(): void {
    this.closed = true;
    for (const timer of [...this.playbackTimers, ...this.otherTimers]) clearTimeout(timer);
    this.playbackTimers.clear();
    this.otherTimers.clear();
    this.release();
  }

  /** Re-checks idleness; call after any state change that may end playback. */
  settle(): void {
    if (this.isIdle()) this.release();
  }

  private schedule(timers: Set<NodeJS.Timeout>, ms: number, run: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      try {
        run();
      } catch (error) {
        this.onError(error);
      } finally {
        this.settle();
      }
    }, Math.max(0, ms));
    timers.add(timer);
  }

  private isIdle(): boolean {
    return this.playbackTimers.size === 0 && this.inFlight === 0 && this.isQuiet();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
