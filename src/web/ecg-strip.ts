/**
 * The ECG strip of the page: a record's leads drawn on a canvas of our own, each beat marked with
 * its predicted class (colour and letter) and the annotated class beside it, disagreements
 * shaded; scrolled and zoomed over the whole record, with an overview of it below. A frame draws
 * one vertical min-max line per pixel column (the samples under it), so a 30-minute record at
 * 360 Hz (650,000 samples a lead) costs at most a pass over the samples on screen.
 */
import { crispContext } from "./canvas.js";
import { beatNearest, isDisagreement, type ClassifiedBeats } from "./holter.js";

export const CLASS_COLOURS: Record<string, string> = { N: "#2e7d32", S: "#1565c0", V: "#c62828", F: "#ef6c00", Q: "#6a1b9a" };
const OTHER_COLOUR = "#444";

export function classColour(name: string): string {
  return CLASS_COLOURS[name] ?? OTHER_COLOUR;
}

export interface StripRecord extends ClassifiedBeats {
  signals: Float32Array[];
  signalNames: string[];
  sampleRate: number;
  classNames: string[];
}

/** Seconds a screen shows, from close up to the whole record (Infinity). */
const ZOOMS = [2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, Infinity];
const MARK_LANE = 34;

export class EcgStrip {
  private record: StripRecord | null = null;
  private ranges: { low: number; high: number }[] = [];
  /** Left edge of the screen, in seconds. */
  private start = 0;
  private zoom = 2;
  private pending = false;
  selected = -1;
  /** Beats up to this index are drawn (live mode plays them in); all by default. */
  shownUpTo = Infinity;
  /** The live mode's play head, in seconds (null: none). */
  playHead: number | null = null;
  /** Called when the user picks a beat (click, keys). */
  onSelect: (index: number) => void = () => {};
  /** Called after every frame with the screen's start and length in seconds. */
  onView: (start: number, seconds: number) => void = () => {};

  constructor(private readonly canvas: HTMLCanvasElement, private readonly overview: HTMLCanvasElement) {
    new ResizeObserver(() => this.draw()).observe(canvas);
    this.listen();
  }

  show(record: StripRecord): void {
    this.record = record;
    this.ranges = record.signals.map(robustRange);
    this.selected = -1;
    this.start = 0;
    this.shownUpTo = Infinity;
    this.playHead = null;
    this.draw();
  }

  get seconds(): number {
    return Math.min(ZOOMS[this.zoom], this.duration);
  }

  get duration(): number {
    return this.record ? this.record.signals[0].length / this.record.sampleRate : 0;
  }

  get viewStart(): number {
    return this.start;
  }

  /** Zooms one step in (+1) or out (-1), keeping the time at `anchor` (0..1 across the screen) in place. */
  zoomBy(step: number, anchor = 0.5): void {
    const at = this.start + anchor * this.seconds;
    this.zoom = Math.max(0, Math.min(ZOOMS.length - 1, this.zoom + step));
    this.scrollTo(at - anchor * this.seconds);
  }

  scrollTo(seconds: number): void {
    this.start = Math.max(0, Math.min(this.duration - this.seconds, seconds));
    this.draw();
  }

  scrollBy(screens: number): void {
    this.scrollTo(this.start + screens * this.seconds);
  }

  /** Selects beat `index` and brings it to the screen (centred if it was off it). */
  select(index: number): void {
    if (!this.record || index < 0 || index >= this.record.labels.length) return;
    this.selected = index;
    const t = this.record.sampleOfBeat[index] / this.record.sampleRate;
    if (t < this.start + 0.05 * this.seconds || t > this.start + 0.95 * this.seconds) this.scrollTo(t - this.seconds / 2);
    else this.draw();
    this.onSelect(index);
  }

  /** Redraws at the next animation frame (several calls, one frame). */
  draw(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.drawNow();
    });
  }

  /** Draws the strip and the overview now (what one frame costs; scripts/page-frame-times.mjs times it). */
  drawNow(): void {
    this.paint();
    this.paintOverview();
    this.onView(this.start, this.seconds);
  }

  private paint(): void {
    const { ctx, width, height } = crispContext(this.canvas, 0);
    const record = this.record;
    if (!record || width === 0) return;
    const fs = record.sampleRate;
    const secondsPerPixel = this.seconds / width;
    const x = (seconds: number) => (seconds - this.start) / secondsPerPixel;
    const leads = record.signals.length;
    const laneHeight = (height - MARK_LANE) / leads;
    // ECG paper: a line every 0.2 s (every second when zoomed out), darker every second.
    const grid = this.seconds <= 30 ? 0.2 : this.seconds <= 300 ? 1 : 10;
    ctx.lineWidth = 1;
    for (let t = Math.ceil(this.start / grid) * grid; t <= this.start + this.seconds; t += grid) {
      const major = Math.abs(t / (grid * 5) - Math.round(t / (grid * 5))) < 1e-6;
      ctx.strokeStyle = major ? "#f4c7c3" : "#fbe9e7";
      ctx.beginPath();
      ctx.moveTo(Math.round(x(t)) + 0.5, MARK_LANE);
      ctx.lineTo(Math.round(x(t)) + 0.5, height);
      ctx.stroke();
    }
    // Beats: disagreement shading first (under the signal), then the letters.
    const first = Math.max(0, beatNearest(record.sampleOfBeat, this.start * fs) - 1);
    const last = Math.min(this.shownUpTo, record.labels.length - 1);
    const beatsOnScreen = Math.max(1, (last - first) * (this.seconds / Math.max(1e-9, this.duration)));
    const letters = this.seconds <= 60 || beatsOnScreen < width / 12;
    ctx.textAlign = "center";
    ctx.font = "bold 13px system-ui, sans-serif";
    for (let i = first; i <= last; i++) {
      const t = record.sampleOfBeat[i] / fs;
      if (t > this.start + this.seconds) break;
      const px = x(t);
      const name = record.classNames[record.labels[i]];
      if (isDisagreement(record, i)) {
        ctx.fillStyle = "rgba(255, 193, 7, 0.28)";
        ctx.fillRect(px - Math.max(3, 0.15 / secondsPerPixel), 0, 2 * Math.max(3, 0.15 / secondsPerPixel), height);
      }
      if (i === this.selected) {
        ctx.strokeStyle = "#ffb300";
        ctx.lineWidth = 2;
        ctx.strokeRect(px - Math.max(6, 0.3 / secondsPerPixel), 1, 2 * Math.max(6, 0.3 / secondsPerPixel), height - 2);
        ctx.lineWidth = 1;
      }
      ctx.fillStyle = classColour(name);
      if (letters) {
        ctx.fillText(name, px, 14);
        const reference = record.reference?.[i] ?? -1;
        if (reference >= 0) {
          ctx.fillStyle = isDisagreement(record, i) ? "#b71c1c" : "#888";
          ctx.font = "11px system-ui, sans-serif";
          ctx.fillText(record.classNames[reference], px, 28);
          ctx.font = "bold 13px system-ui, sans-serif";
        }
      } else if (name !== "N" || isDisagreement(record, i)) {
        ctx.fillRect(px - 1, 4, 2, 12);
      }
    }
    // The leads: per pixel column the min and max of its samples (a polyline when zoomed in far enough).
    for (let l = 0; l < leads; l++) {
      const signal = record.signals[l];
      const { low, high } = this.ranges[l];
      const top = MARK_LANE + l * laneHeight;
      const y = (v: number) => top + laneHeight * (1 - (v - low) / (high - low));
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 1;
      ctx.beginPath();
      const from = Math.max(0, Math.floor(this.start * fs));
      // In live mode the signal ends at the play head: what the record has not reached yet is not drawn.
      const to = Math.min(signal.length, Math.ceil((Math.min(this.start + this.seconds, this.playHead ?? Infinity)) * fs) + 1);
      if ((to - from) / width < 4) {
        let drawing = false;
        for (let s = from; s < to; s++) {
          const v = signal[s];
          if (Number.isNaN(v)) { drawing = false; continue; }
          if (drawing) ctx.lineTo(x(s / fs), y(v));
          else ctx.moveTo(x(s / fs), y(v));
          drawing = true;
        }
      } else {
        // One column's min and max joined to the next column's, so the trace stays one line.
        let drawing = false;
        for (let px = 0; px < width; px++) {
          const s0 = Math.max(from, Math.floor((this.start + px * secondsPerPixel) * fs));
          const s1 = Math.min(to, Math.floor((this.start + (px + 1) * secondsPerPixel) * fs));
          let min = Infinity;
          let max = -Infinity;
          for (let s = s0; s < s1; s++) {
            const v = signal[s];
            if (v < min) min = v;
            if (v > max) max = v;
          }
          if (min > max) { drawing = false; continue; }
          if (drawing) ctx.lineTo(px + 0.5, y(max));
          else ctx.moveTo(px + 0.5, y(max));
          ctx.lineTo(px + 0.5, y(min) + 0.5);
          drawing = true;
        }
      }
      ctx.stroke();
      ctx.fillStyle = "#555";
      ctx.textAlign = "left";
      ctx.font = "12px system-ui, sans-serif";
      ctx.fillText(record.signalNames[l] || `signal ${l + 1}`, 4, top + 14);
      ctx.textAlign = "center";
    }
    if (this.playHead !== null) {
      ctx.strokeStyle = "#1565c0";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x(this.playHead), 0);
      ctx.lineTo(x(this.playHead), height);
      ctx.stroke();
    }
    // The time axis along the bottom.
    ctx.fillStyle = "#555";
    ctx.font = "11px system-ui, sans-serif";
    const tick = niceStep(this.seconds / 6);
    for (let t = Math.ceil(this.start / tick) * tick; t <= this.start + this.seconds; t += tick) {
      if (x(t) > 16 && x(t) < width - 16) ctx.fillText(clock(t), x(t), height - 3); // not cut by the edges
    }
  }

  private paintOverview(): void {
    const { ctx, width, height } = crispContext(this.overview, 0);
    const record = this.record;
    if (!record || width === 0) return;
    const x = (seconds: number) => (seconds / this.duration) * width;
    ctx.fillStyle = "#f5f5f5";
    ctx.fillRect(0, 0, width, height);
    // Rows of ticks: V, S, other non-N classes, disagreements.
    const rows: Record<string, number> = { V: 4, S: 14, F: 24, Q: 24 };
    const last = Math.min(this.shownUpTo, record.labels.length - 1);
    for (let i = 0; i <= last; i++) {
      const name = record.classNames[record.labels[i]];
      const px = Math.floor(x(record.sampleOfBeat[i] / record.sampleRate));
      if (name in rows) {
        ctx.fillStyle = classColour(name);
        ctx.fillRect(px, rows[name], 1, 8);
      }
      if (isDisagreement(record, i)) {
        ctx.fillStyle = "#ffa000";
        ctx.fillRect(px, 34, 1, 8);
      }
    }
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x(this.start), 1, Math.max(3, x(this.seconds)), height - 2);
  }

  private listen(): void {
    const canvas = this.canvas;
    let drag: { x: number; start: number; moved: boolean } | null = null;
    canvas.addEventListener("pointerdown", (event) => {
      drag = { x: event.clientX, start: this.start, moved: false };
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const dx = event.clientX - drag.x;
      if (Math.abs(dx) > 3) drag.moved = true;
      if (drag.moved) this.scrollTo(drag.start - (dx / canvas.clientWidth) * this.seconds);
    });
    canvas.addEventListener("pointerup", (event) => {
      if (drag && !drag.moved && this.record) {
        const rect = canvas.getBoundingClientRect();
        const t = this.start + ((event.clientX - rect.left) / rect.width) * this.seconds;
        const i = beatNearest(this.record.sampleOfBeat, t * this.record.sampleRate);
        if (i >= 0 && i <= this.shownUpTo) this.select(i);
      }
      drag = null;
    });
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      if (event.ctrlKey) {
        const rect = canvas.getBoundingClientRect();
        this.zoomBy(event.deltaY > 0 ? 1 : -1, (event.clientX - rect.left) / rect.width);
      } else {
        const delta = Math.abs(event.deltaX) > Math.abs(event.deltaY) ? event.deltaX : event.deltaY;
        this.scrollTo(this.start + (delta / canvas.clientWidth) * this.seconds);
      }
    }, { passive: false });
    const jump = (event: PointerEvent) => {
      const rect = this.overview.getBoundingClientRect();
      this.scrollTo(((event.clientX - rect.left) / rect.width) * this.duration - this.seconds / 2);
    };
    this.overview.addEventListener("pointerdown", (event) => {
      this.overview.setPointerCapture(event.pointerId);
      jump(event);
    });
    this.overview.addEventListener("pointermove", (event) => {
      if (event.buttons) jump(event);
    });
  }
}

/** A lead's drawing range: its 0.1% and 99.9% quantiles with a margin, so one artefact does not flatten the rest. */
function robustRange(signal: Float32Array): { low: number; high: number } {
  const step = Math.max(1, Math.floor(signal.length / 20000));
  const values: number[] = [];
  for (let i = 0; i < signal.length; i += step) if (!Number.isNaN(signal[i])) values.push(signal[i]);
  values.sort((a, b) => a - b);
  if (values.length === 0) return { low: -1, high: 1 };
  const low = values[Math.floor(0.001 * (values.length - 1))];
  const high = values[Math.ceil(0.999 * (values.length - 1))];
  const margin = Math.max(0.05, 0.1 * (high - low));
  return { low: low - margin, high: high + margin };
}

function niceStep(seconds: number): number {
  return [0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => s >= seconds) ?? 600;
}

/** m:ss, with tenths where the time has them. */
export function clock(seconds: number): string {
  const tenths = Math.round(seconds * 10);
  const m = Math.floor(tenths / 600);
  const s = (tenths - 600 * m) / 10;
  return `${m}:${s < 10 ? "0" : ""}${Number.isInteger(s) ? s : s.toFixed(1)}`;
}

export function zoomLabel(seconds: number): string {
  return seconds >= 60 ? `${(seconds / 60).toFixed(seconds % 60 ? 1 : 0)} min` : `${seconds} s`;
}
