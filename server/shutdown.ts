// Everything opened at start registers how to close it; shutdown closes in reverse order
// (HTTP first, the database last), once, whatever signal or error triggered it.
import type { Logger } from './log.js';

export class Shutdown {
  private readonly steps: { name: string; close: () => Promise<unknown> }[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  add(name: string, close: () => Promise<unknown>): void {
    this.steps.push({ name, close });
  }

  run(reason: string): Promise<void> {
    this.running ??= (async () => {
      this.log.info('shutdown.start', { reason });
      for (const step of [...this.steps].reverse()) {
        try {
          await step.close();
          this.log.debug('shutdown.closed', { step: step.name });
        } catch (error) {
          this.log.error('shutdown.step_failed', { step: step.name, error });
        }
      }
      this.log.info('shutdown.done', { reason });
    })();
    return this.running;
  }

  private exit: (code: number) => void = (code) => process.exit(code);
  private forceAfterMs = 30_000;

  /** SIGINT/SIGTERM start a graceful shutdown; a repeated signal does not cut it short. */
  onSignals(exit: (code: number) => void, forceAfterMs = 30_000): void {
    this.exit = exit;
    this.forceAfterMs = forceAfterMs;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => this.trigger(signal));
  }

  /** A graceful shutdown then exit 0 (1 if it takes longer than forceAfterMs), for a signal or another reason. */
  trigger(reason: string): void {
    if (this.running) return this.log.info('shutdown.signal_ignored', { signal: reason });
    setTimeout(() => {
      this.log.error('shutdown.forced', { afterMs: this.forceAfterMs });
      this.exit(1);
    }, this.forceAfterMs).unref();
    void this.run(reason).then(() => this.exit(0));
  }
}
