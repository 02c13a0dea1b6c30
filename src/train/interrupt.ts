import { constants } from "node:os";

export interface GracefulStopOptions {
  /** Saves the checkpoint. Called once, between two steps, after a signal arrived. */
  onStop: (signal: NodeJS.Signals) => void;
  /** Default: SIGINT (Ctrl-C) and SIGTERM. */
  signals?: NodeJS.Signals[];
  /** Where the notices go (default process.stderr). */
  stream?: { write(text: string): unknown };
  /** Ends the process (default process.exit); called with 128 + the signal number (130 for Ctrl-C). */
  exit?: (code: number) => void;
  /** A second signal this long after the first quits at once, without a checkpoint (default 2000 ms). */
  forceAfterMs?: number;
}

/**
 * Ctrl-C handling for a training loop: a signal only sets a flag, the loop finishes its
 * current step, then `await stop.poll()` saves a checkpoint and exits. JavaScript cannot run
 * a signal handler in the middle of synchronous code, so the loop must call poll() (which
 * yields to the event loop once) after every step for the signal to be noticed.
 */
export class GracefulStop {
  private signal: NodeJS.Signals | null = null;
  private firstAt = 0;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  private readonly stream: { write(text: string): unknown };
  private readonly exit: (code: number) => void;

  constructor(private readonly options: GracefulStopOptions) {
    this.stream = options.stream ?? process.stderr;
    this.exit = options.exit ?? ((code) => process.exit(code));
    for (const signal of options.signals ?? ["SIGINT", "SIGTERM"]) {
      const handler = () => this.onSignal(signal);
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  /** The signal received so far, or null. */
  get requested(): NodeJS.Signals | null {
    return this.signal;
  }

  /** Call after every step: lets pending signals in; if one came, saves and exits. */
  async poll(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const signal = this.signal;
    if (signal === null) return;
    this.dispose();
    this.options.onStop(signal);
    this.exit(exitCode(signal));
  }

  /** Removes the signal handlers (call when training ends). */
  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    this.handlers.clear();
  }

  private onSignal(signal: NodeJS.Signals): void {
    const now = Date.now();
    if (this.signal === null) {
      this.signal = signal;
      this.firstAt = now;
      this.stream.write(`\n${signal} received: finishing the current step, then saving a checkpoint (press Ctrl-C again to quit without saving)\n`);
      return;
    }
    // Signals that queued up while one long step ran arrive together; only a later press forces.
    if (now - this.firstAt >= (this.options.forceAfterMs ?? 2000)) {
      this.dispose();
      this.stream.write(`${signal} received again: quitting without a checkpoint\n`);
      this.exit(exitCode(signal));
    }
  }
}

function exitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
