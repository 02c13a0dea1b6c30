/**
 * The Holter summary of a classified record in the page: beats per class with their burden, runs
 * of V and S beats, the heart rate over time, agreement with the annotations, and the downloads
 * (CSV, WFDB .pred). The numbers come from holter.ts and downloads.ts.
 */
import { crispContext } from "./canvas.js";
import { predictionAnnotations, predictionsCsv } from "./downloads.js";
import { classColour, clock } from "./ecg-strip.js";
import { holterSummary, type ClassifiedBeats, type HolterSummary } from "./holter.js";

export interface SummaryInput extends ClassifiedBeats {
  record: string;
  probabilities: Float32Array;
  classNames: string[];
  sampleRate: number;
  durationSeconds: number;
  agreement: { matched: number; agree: number } | null;
  /** The note predict gives when the record was in the run's training data (trainingDataNote); null when it was not. */
  trainingNote: string | null;
}

const cell = (text: string | number) => Object.assign(document.createElement("td"), { textContent: String(text) });
const row = (...cells: (string | number)[]) => {
  const tr = document.createElement("tr");
  tr.append(...cells.map(cell));
  return tr;
};
const head = (...names: string[]) => Object.assign(document.createElement("tr"), { innerHTML: names.map((n) => `<th>${n}</th>`).join("") });

/** Fills `panel` with the summary; `onRun` is called with a run's first beat when one is clicked. */
export function renderSummary(panel: HTMLElement, input: SummaryInput, onRun: (beat: number) => void): HolterSummary {
  const { classNames, sampleRate } = input;
  const binSeconds = input.durationSeconds > 600 ? 60 : input.durationSeconds > 120 ? 10 : 5;
  const summary = holterSummary(input, classNames, sampleRate, input.durationSeconds, binSeconds);
  const counts = document.createElement("table");
  counts.id = "summary-counts";
  counts.append(head("class", "beats", "% of beats"), ...classNames.map((c) => {
    const tr = row(c, summary.counts[c].toLocaleString("en"), summary.burden[c].toFixed(2));
    (tr.firstChild as HTMLElement).style.color = classColour(c);
    return tr;
  }), row("all", summary.beats.toLocaleString("en"), "100.00"));
  const parts: Node[] = [Object.assign(document.createElement("h2"), { textContent: `Holter summary of record ${input.record}` }),
    Object.assign(document.createElement("p"), {
      textContent: `${summary.beats.toLocaleString("en")} beats in ${clock(input.durationSeconds)}; heart rate ${rate(summary.meanBpm)} mean, ` +
        `${rate(summary.minBpm)} to ${rate(summary.maxBpm)} over ${binSeconds} s bins. Ventricular burden ${summary.burden.V?.toFixed(2) ?? "n/a"}%, ` +
        `supraventricular ${summary.burden.S?.toFixed(2) ?? "n/a"}%.`,
    }), ...(input.trainingNote ? [Object.assign(document.createElement("p"), { className: "training-note", textContent: input.trainingNote })] : []), counts];
  const runs = document.createElement("table");
  runs.id = "summary-runs";
  runs.append(head("class", "isolated", "couplets", "triplets", "runs &ge; 3", "longest"));
  for (const [c, r] of Object.entries(summary.runs)) runs.append(row(c, r.isolated, r.couplets, r.triplets, r.runs, r.longest));
  parts.push(Object.assign(document.createElement("h2"), { textContent: "Runs of ectopic beats" }), runs);
  const runList = Object.entries(summary.runs).flatMap(([c, r]) => r.runList.map((run) => ({ c, ...run })))
    .sort((a, b) => a.start - b.start);
  if (runList.length > 0) {
    const list = document.createElement("p");
    list.append("Runs of three or more: ");
    for (const run of runList.slice(0, 40)) {
      const button = Object.assign(document.createElement("button"), { textContent: `${run.length} ${run.c} at ${clock(input.sampleOfBeat[run.start] / sampleRate)}` });
      button.onclick = () => onRun(run.start);
      list.append(button, " ");
    }
    if (runList.length > 40) list.append(`and ${runList.length - 40} more`);
    parts.push(list);
  }
  if (input.agreement) {
    parts.push(Object.assign(document.createElement("p"), {
      id: "summary-agreement",
      textContent: `Against the record's own annotations: ${input.agreement.matched.toLocaleString("en")} beats matched within 150 ms, ` +
        `${((100 * input.agreement.agree) / Math.max(1, input.agreement.matched)).toFixed(2)}% of them the same AAMI class; ${summary.disagreements} disagreements (shaded on the strip).`,
    }));
  }
  const trend = document.createElement("canvas");
  trend.id = "heart-rate";
  trend.style.height = "140px";
  trend.setAttribute("aria-label", "heart rate over time");
  parts.push(Object.assign(document.createElement("h2"), { textContent: "Heart rate over time" }), trend);
  const downloads = document.createElement("p");
  downloads.className = "toolbar";
  downloads.append(
    downloadButton("download-csv", "Download CSV", `${input.record}.csv`, () => new Blob([predictionsCsv(input, classNames, sampleRate)], { type: "text/csv" })),
    downloadButton("download-pred", "Download WFDB annotations (.pred)", `${input.record}.pred`,
      () => new Blob([predictionAnnotations(input, classNames) as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" })),
  );
  parts.push(downloads);
  panel.replaceChildren(...parts);
  requestAnimationFrame(() => drawTrend(trend, summary));
  return summary;
}

function rate(bpm: number | null): string {
  return bpm === null ? "n/a" : `${Math.round(bpm)}/min`;
}

function downloadButton(id: string, label: string, file: string, blob: () => Blob): HTMLButtonElement {
  const button = Object.assign(document.createElement("button"), { id, textContent: label });
  button.onclick = () => {
    const url = URL.createObjectURL(blob());
    const link = Object.assign(document.createElement("a"), { href: url, download: file });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return button;
}

function drawTrend(canvas: HTMLCanvasElement, summary: HolterSummary): void {
  const { ctx, width, height } = crispContext(canvas);
  const points = summary.heartRate;
  const rates = points.flatMap((p) => (p.bpm === null ? [] : [p.bpm]));
  if (rates.length === 0) return;
  const low = Math.max(0, Math.floor((Math.min(...rates) - 10) / 10) * 10);
  const high = Math.ceil((Math.max(...rates) + 10) / 10) * 10;
  const left = 34;
  const x = (i: number) => left + ((width - left - 6) * (i + 0.5)) / points.length;
  const y = (bpm: number) => 6 + (height - 24) * (1 - (bpm - low) / (high - low));
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#555";
  ctx.strokeStyle = "#eee";
  for (let v = low; v <= high; v += Math.max(10, Math.round((high - low) / 40) * 10)) {
    ctx.fillText(String(v), 2, y(v) + 4);
    ctx.beginPath();
    ctx.moveTo(left, y(v));
    ctx.lineTo(width, y(v));
    ctx.stroke();
  }
  ctx.fillText("beats/min", left + 4, 12);
  const step = points.length > 1 ? points[1].startSeconds - points[0].startSeconds : 60;
  ctx.textAlign = "center";
  for (let i = 0; i < points.length; i += Math.max(1, Math.ceil(points.length / 8))) ctx.fillText(clock(i * step), x(i), height - 4);
  ctx.strokeStyle = "#c62828";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let drawing = false;
  points.forEach((p, i) => {
    if (p.bpm === null) { drawing = false; return; }
    if (drawing) ctx.lineTo(x(i), y(p.bpm));
    else ctx.moveTo(x(i), y(p.bpm));
    drawing = true;
  });
  ctx.stroke();
}
