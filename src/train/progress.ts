import { SpikemedError } from "../core/errors.js";

/** Where progress goes: process.stdout, process.stderr or anything with write() (tests). */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Samples in the whole epoch. */
  total: number;
  /** Shown first, e.g. "epoch 3/20". */
  label?: string;
  stream?: OutputStream;
  /** Redraw in place (default: stream.isTTY). Otherwise print a plain line now and then. */
  tty?: boolean;
  /** Least time between two redraws of the bar (default 100 ms, i.e. at most ~10 per second). */
  minIntervalMs?: number;
  /** Least time between two plain lines when not on a TTY (default 10 s). */
  plainIntervalMs?: number;
  /** Milliseconds clock (default performance.now), injectable for tests. */
  now?: () => number;
}

export interface ProgressStats {
  /** Mean loss over the samples seen so far. */
  loss?: number;
  /** Fraction correct over the samples seen so far, in [0, 1]. */
  accuracy?: number;
}

/**
 * One epoch's progress: "epoch 3/20 [=====>    ] 45% 1,234/2,740 loss 0.1234 acc 97.12%
 * 1,530 samples/s ETA 0:01". On a TTY the line is redrawn in place at most every
 * minIntervalMs; in a log (not a TTY) a plain line is printed every plainIntervalMs and at the end.
 */
export class ProgressBar {
  private readonly stream: OutputStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly start: number;
  private lastDraw = -Infinity;
  private done = 0;
  private stats: ProgressStats = {};
  private finished = false;

  constructor(private readonly options: ProgressOptions) {
    if (!Number.isInteger(options.total) || options.total < 0) {
      throw new SpikemedError(`progress bar: total must be a non-negative integer, got ${options.total}`);
    }
    this.stream = options.stream ?? process.stdout;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
    // A log gets its first line only after plainIntervalMs, not one per epoch start.
    if (!this.tty) this.lastDraw = this.start;
  }

  /** Reports `done` samples processed so far this epoch and the running statistics. */
  update(done: number, stats: ProgressStats = {}): void {
    this.done = Math.min(done, this.options.total);
    this.stats = stats;
    const t = this.now();
    const interval = this.tty ? (this.options.minIntervalMs ?? 100) : (this.options.plainIntervalMs ?? 10_000);
    if (t - this.lastDraw < interval) return;
    // In a log the complete bar is left to finish(), which prints it once with the elapsed time.
    if (!this.tty && this.done === this.options.total) return;
    this.lastDraw = t;
    this.draw(t, false);
  }

  /** Draws the final state and ends the line. Further calls do nothing. */
  finish(stats?: ProgressStats): void {
    if (this.finished) return;
    this.finished = true;
    if (stats) this.stats = stats;
    this.draw(this.now(), true);
  }

  /** The text of the line for the current state (without bar on a non-TTY). */
  render(elapsedMs: number, withBar: boolean, columns: number): string {
    const { total, label } = this.options;
    const done = this.done;
    const fraction = total === 0 ? 1 : done / total;
    const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    const parts: string[] = [];
    parts.push(`${String(Math.floor(fraction * 100)).padStart(3)}%`);
    parts.push(`${groupThousands(done)}/${groupThousands(total)}`);
    if (this.stats.loss !== undefined) parts.push(`loss ${formatLoss(this.stats.loss)}`);
    if (this.stats.accuracy !== undefined) parts.push(`acc ${formatPercent(this.stats.accuracy)}`);
    // A slow network (gatti2025: seconds per image) would otherwise show "0 samples/s".
    parts.push(rate >= 10 ? `${groupThousands(Math.round(rate))} samples/s` : `${rate.toPrecision(2)} samples/s`);
    if (done < total) parts.push(`ETA ${rate > 0 ? formatDuration((total - done) / rate) : "--:--"}`);
    else parts.push(`in ${formatDuration(elapsedMs / 1000)}`);
    const tail = parts.join(" ");
    const head = label ? `${label} ` : "";
    if (!withBar) return head + tail;
    const barWidth = Math.max(10, Math.min(30, columns - head.length - tail.length - 4));
    const filled = Math.round(fraction * barWidth);
    const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled === barWidth ? "=" : ">") : "") + " ".repeat(barWidth - filled);
    return `${head}[${bar}] ${tail}`;
  }

  private draw(t: number, final: boolean): void {
    const line = this.render(t - this.start, this.tty, this.stream.columns ?? 80);
    // \r plus "erase to end of line" redraws in place; a log gets whole lines.
    this.stream.write(this.tty ? `\r${line}\x1b[K${final ? "\n" : ""}` : `${line}\n`);
  }
}

export interface EpochRow {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Shown (as "val bal") only by tables made with showBalancedAccuracy. */
  valBalancedAccuracy?: number;
  /** Mean spikes per neuron per time step, one per spiking layer (order of layerNames). */
  firingRates?: readonly number[];
  lr?: number;
  seconds: number;
  /** Short note at the end of the row, e.g. "best". */
  note?: string;
}

export interface EpochTableOptions {
  stream?: OutputStream;
  /** Names of the spiking layers, one firing-rate column each. */
  layerNames?: readonly string[];
  /** Adds a learning-rate column. */
  showLr?: boolean;
  /** Adds a validation balanced-accuracy column (mean recall of the classes present). */
  showBalancedAccuracy?: boolean;
}

/**
 * Per-epoch table like the ECG paper's (epoch, train loss, train acc, val loss, val acc) plus
 * firing rate per spiking layer, learning rate and time. The header is printed before the first row.
 */
export class EpochTable {
  private readonly stream: OutputStream;
  private readonly layerNames: readonly string[];
  private headerDone = false;

  constructor(private readonly options: EpochTableOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.layerNames = options.layerNames ?? [];
  }

  private columns(): { title: string; width: number }[] {
    const cols = [
      { title: "epoch", width: 5 },
      { title: "train loss", width: 10 },
      { title: "train acc", width: 9 },
      { title: "val loss", width: 8 },
      { title: "val acc", width: 7 },
      ...(this.options.showBalancedAccuracy ? [{ title: "val bal", width: 7 }] : []),
      ...this.layerNames.map((name) => ({ title: `rate ${name}`, width: Math.max(6, `rate ${name}`.length) })),
    ];
    if (this.options.showLr) cols.push({ title: "lr", width: 9 });
    cols.push({ title: "time", width: 7 });
    return cols;
  }

  header(): string {
    const cols = this.columns();
    const titles = cols.map((c) => c.title.padStart(c.width)).join("  ");
    return `${titles}\n${cols.map((c) => "-".repeat(c.width)).join("  ")}`;
  }

  formatRow(row: EpochRow): string {
    const rates = row.firingRates ?? [];
    if (rates.length !== this.layerNames.length) {
      throw new SpikemedError(`epoch table: got ${rates.length} firing rates for ${this.layerNames.length} layers (${this.layerNames.join(", ")})`);
    }
    const cells = [
      String(row.epoch),
      formatLoss(row.trainLoss),
      formatPercent(row.trainAccuracy),
      row.valLoss === undefined ? "-" : formatLoss(row.valLoss),
      row.valAccuracy === undefined ? "-" : formatPercent(row.valAccuracy),
      ...(this.options.showBalancedAccuracy ? [row.valBalancedAccuracy === undefined ? "-" : formatPercent(row.valBalancedAccuracy)] : []),
      ...rates.map((r) => r.toFixed(4)),
    ];
    if (this.options.showLr) cells.push(row.lr === undefined ? "-" : row.lr.toExponential(2));
    cells.push(row.seconds < 60 ? `${row.seconds.toFixed(1)}s` : formatDuration(row.seconds));
    const text = this.columns().map((c, i) => cells[i].padStart(c.width)).join("  ");
    return row.note ? `${text}  ${row.note}` : text;
  }

  /** Prints one row (and the header first). */
  row(row: EpochRow): void {
    const line = this.formatRow(row);
    if (!this.headerDone) {
      this.stream.write(`${this.header()}\n`);
      this.headerDone = true;
    }
    this.stream.write(`${line}\n`);
  }
}

function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toFixed(4) : String(loss);
}

function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(h > 0 ? 2 : 1, "0")}:${String(s).padStart(2, "0")}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}
