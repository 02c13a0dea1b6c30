/**
 * The page `spikemed serve` opens: the run's network classifies, in the browser (in
 * page-worker.ts), a WFDB record's heartbeats (ECG runs) or chest X-ray images (X-ray runs), from
 * the server's inputs or the user's own files (picked or dropped), which never leave the machine.
 * ECG: the strip with every beat's class (ecg-strip.ts), one beat as the network sees it
 * (beat-view.ts), the Holter summary and downloads (summary-view.ts), live mode. X-ray: each image
 * with its occlusion map (xray-view.ts). `?record=NAME` or `?image=NAME` classifies one of the
 * server's inputs on load.
 *
 * For scripts that drive the page (the tests, bench/web-speed.ts): `data-ready`, `data-done`,
 * `data-seconds`, `data-summary` and `data-error` on the body, and `window.spikemedPage` with the
 * last record's prediction, the last beat's detail, the live mode's beats, the last occlusion map
 * and the strip.
 */
import { trainingDataNote } from "../experiment/training-records.js";
import { renderBeat } from "./beat-view.js";
import { CLASS_COLOURS, EcgStrip, zoomLabel, clock } from "./ecg-strip.js";
import { isDisagreement, nextBeat } from "./holter.js";
import type { RecordPrediction } from "./index.js";
import type { BeatDetail, PageRequest, WorkerReply } from "./page-worker.js";
import { renderSummary } from "./summary-view.js";
import { XrayView } from "./xray-view.js";

const element = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
/** The worker's URL carries the page's `?kernels=` (auto, relaxed or simd128), so a test can ask for the kernel module Node runs. */
const workerUrl = new URL("./page-worker.js", import.meta.url);
const kernelsAsked = new URLSearchParams(location.search).get("kernels");
if (kernelsAsked) workerUrl.searchParams.set("kernels", kernelsAsked);
const worker = new Worker(workerUrl, { type: "module" });
let classNames: string[] = [];
let task: keyof typeof TASKS = "ecg";
/** Ids of requests: every request gets the next; an answer to one that is no longer the latest of its kind is dropped. */
let requests = 0;
const latest = { input: 0, beat: 0, evidence: 0, live: 0 };
const labelOf = new Map<number, string>();

interface ShownRecord extends RecordPrediction { sampleRate: number; durationSeconds: number; signals: Float32Array[]; signalNames: string[]; inTrainingData: boolean }
let shown: ShownRecord | null = null;
const exposed = globalThis as unknown as {
  spikemedPage: {
    prediction: ShownRecord | null; beat: BeatDetail | null; live: { index: number; label: number; latencyMs: number; settledStep: number; steps: number }[]; evidence: { image: number; drop: Float32Array } | null; strip: EcgStrip;
  };
};

const strip = new EcgStrip(element<HTMLCanvasElement>("strip"), element<HTMLCanvasElement>("overview"));
exposed.spikemedPage = { prediction: null, beat: null, live: [], evidence: null, strip };
const xray = new XrayView(element<HTMLCanvasElement>("xray-canvas"), element<HTMLInputElement>("overlay"), element("result"), element("xray-probabilities"), element("xray-caption"));

const TASKS = {
  ecg: { heading: "heartbeats classified in this page", input: "Record", files: "or your own WFDB record (its .hea, .dat and, if it has one, .atr; pick or drop them here):", query: "record" },
  cxr: { heading: "chest X-rays classified in this page", input: "Image", files: "or your own images (PNG, JPEG or DICOM; pick or drop them here):", query: "image" },
};

function fail(message: string): void {
  element("status").textContent = message;
  document.body.dataset.error = message;
}

function send(kind: keyof typeof latest, request: (id: number) => PageRequest): void {
  const id = ++requests;
  latest[kind] = id;
  worker.postMessage(request(id));
}

worker.onerror = (event) => fail(`the page's worker failed: ${event.message}`);
worker.onmessage = ({ data: reply }: MessageEvent<WorkerReply>) => {
  switch (reply.kind) {
    case "run":
      classNames = reply.classNames;
      task = reply.task;
      element("run").textContent = `Run: model ${reply.model}, ${reply.parameters.toLocaleString("en")} parameters, classes ${classNames.join(", ")}; ` +
        `computed in this browser on the ${reply.backend}.`;
      start().catch((err: Error) => fail(err.message));
      return;
    case "error":
      if (reply.id === undefined || reply.id === latest.input) fail(reply.message);
      else if (reply.id === latest.beat) element("beat-panel").textContent = reply.message;
      else if (reply.id === latest.evidence) element("xray-caption").textContent = reply.message;
      else if (reply.id === latest.live) element("live-status").textContent = reply.message;
      return;
    case "record":
    case "images":
      if (reply.id !== latest.input) return;
      if (reply.kind === "record") {
        const beats = reply.prediction.labels.length;
        element("status").textContent = `${beats.toLocaleString("en")} beats of ${labelOf.get(reply.id)} (${reply.minutes.toFixed(1)} min) classified in ${reply.seconds.toFixed(1)} s.`;
        showRecord({ ...reply.prediction, sampleRate: reply.sampleRate, durationSeconds: reply.minutes * 60, signals: reply.signals, signalNames: reply.signalNames, inTrainingData: reply.inTrainingData });
      } else {
        element("status").textContent = `${reply.images.length} image(s) in ${reply.seconds.toFixed(2)} s.`;
        element("xray-view").hidden = false;
        xray.show(reply.images, classNames);
        document.body.dataset.summary = JSON.stringify(reply.images.map((image) => ("error" in image ? image : { name: image.name, probabilities: image.probabilities })));
      }
      Object.assign(document.body.dataset, { seconds: String(reply.seconds), done: String(reply.id) });
      return;
    case "beat":
      if (reply.id === latest.beat && shown) showBeat(reply.detail);
      return;
    case "image-evidence":
      if (reply.id !== latest.evidence) return;
      exposed.spikemedPage.evidence = { image: reply.image, drop: reply.drop };
      xray.setEvidence(reply.image, reply.size, reply.drop, reply.classIndex, reply.seconds);
      return;
    case "live-beat":
    case "live-end":
      if (reply.id === latest.live) (reply.kind === "live-beat" ? liveBeat(reply) : stopLive("The record has been played to its end."));
  }
};

function classify(label: string, request: (id: number) => PageRequest): void {
  stopLive();
  send("input", (id) => {
    labelOf.set(id, label);
    return request(id);
  });
  element("status").textContent = `Classifying ${label}...`;
  delete document.body.dataset.summary;
  element("result").replaceChildren();
}

async function classifyFiles(files: File[]): Promise<void> {
  const picked = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
  if (picked.length) classify(task === "ecg" ? "your record" : "your images", (id) => ({ id, files: picked }));
}

/**
 * Once the run is known: the page's words for its task, the file picker and drop zone, the
 * server's inputs. `data-ready` marks the end: before it a picked file could find no handler yet.
 */
async function start(): Promise<void> {
  const words = TASKS[task];
  element("heading").textContent = `spikemed: ${words.heading}`;
  element("input-label").textContent = words.input;
  element("files-label").textContent = words.files;
  const input = element<HTMLInputElement>("files");
  input.onchange = () => void classifyFiles(Array.from(input.files ?? []));
  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    document.body.classList.remove("dragging");
    void classifyFiles(Array.from(event.dataTransfer?.files ?? []));
  });
  const select = element<HTMLSelectElement>("inputs");
  const names = (await (await fetch("/data/inputs.json")).json()) as string[];
  select.replaceChildren(...names.map((name) => Object.assign(document.createElement("option"), { value: name, textContent: name })));
  const button = element<HTMLButtonElement>("classify");
  button.onclick = () => classify(`${words.query} ${select.value}`, (id) => ({ id, input: select.value }));
  button.disabled = names.length === 0;
  if (task === "ecg") wireEcgControls();
  else xray.onExplain = (image) => send("evidence", (id) => ({ id, image }));
  const requested = new URLSearchParams(location.search).get(words.query);
  if (requested) {
    select.value = requested;
    classify(`${words.query} ${requested}`, (id) => ({ id, input: requested }));
  }
  document.body.dataset.ready = "true";
}

function showRecord(record: ShownRecord): void {
  shown = record;
  exposed.spikemedPage.prediction = record;
  element("ecg-view").hidden = false;
  const legend = element("legend");
  legend.replaceChildren("Predicted class above each beat: ");
  for (const c of classNames) {
    const letter = Object.assign(document.createElement("b"), { textContent: c });
    letter.style.color = CLASS_COLOURS[c] ?? "#444";
    legend.append(letter, " ");
  }
  legend.append(record.reference ? "; the annotated class beneath it, shaded where the two disagree." : "; the record has no annotations to compare with.");
  // As predict does: a record the run was trained on says so, beside the strip and in the summary.
  const trainingNote = record.inTrainingData ? trainingDataNote(record.record) : null;
  element("training-note").textContent = trainingNote ?? "";
  element("training-note").hidden = trainingNote === null;
  strip.show({ ...record, classNames });
  element("beat-panel").innerHTML = "<h2>Beat</h2><p>Click a beat on the strip (or press Enter) to see it as the network sees it.</p>";
  renderSummary(element("summary-panel"), { ...record, classNames, trainingNote }, (beat) => strip.select(beat));
  for (const [kind, wanted] of navigation(record)) {
    const disabled = nextBeat(record.labels.length, 0, wanted) === null && !wanted(0);
    (element(`next-${kind}`) as HTMLButtonElement).disabled = disabled;
    (element(`prev-${kind}`) as HTMLButtonElement).disabled = disabled;
  }
  document.body.dataset.summary = JSON.stringify(record.summary);
}

function showBeat(detail: BeatDetail): void {
  const record = shown!;
  const K = classNames.length;
  exposed.spikemedPage.beat = detail;
  renderBeat(element("beat-panel"), detail, {
    classNames, seconds: record.sampleOfBeat[detail.index] / record.sampleRate, label: record.labels[detail.index],
    probabilities: record.probabilities.subarray(detail.index * K, (detail.index + 1) * K), reference: record.reference?.[detail.index] ?? -1,
  });
  document.body.dataset.beat = String(detail.index);
}

/** The beats each pair of navigation buttons goes to: V beats, S beats, disagreements with the annotations. */
function navigation(record: ShownRecord): [string, (i: number) => boolean][] {
  return [
    ["V", (i) => classNames[record.labels[i]] === "V"],
    ["S", (i) => classNames[record.labels[i]] === "S"],
    ["D", (i) => isDisagreement(record, i)],
  ];
}

function go(kind: string, direction: 1 | -1): void {
  if (!shown) return;
  const wanted = navigation(shown).find(([k]) => k === kind)![1];
  const from = strip.selected >= 0 ? strip.selected : direction > 0 ? -1 : shown.labels.length;
  const next = nextBeat(shown.labels.length, from, wanted, direction);
  if (next !== null) strip.select(next);
  else element("status").textContent = `No ${kind === "D" ? "disagreement" : `${kind} beat`} in this record.`;
}

function wireEcgControls(): void {
  strip.onSelect = (beat) => {
    document.body.dataset.beat = "";
    send("beat", (id) => ({ id, beat }));
  };
  strip.onView = (start, seconds) => {
    element("zoom-label").textContent = ` ${zoomLabel(seconds)} `;
    Object.assign(element("strip").dataset, { viewStart: start.toFixed(3), viewSeconds: String(seconds) });
  };
  element("zoom-in").onclick = () => strip.zoomBy(-1);
  element("zoom-out").onclick = () => strip.zoomBy(1);
  for (const kind of ["V", "S", "D"]) {
    element(`next-${kind}`).onclick = () => go(kind, 1);
    element(`prev-${kind}`).onclick = () => go(kind, -1);
  }
  element("live").onclick = () => (latest.live ? stopLive("Stopped.") : startLive());
  document.addEventListener("keydown", (event) => {
    const target = event.target as HTMLElement;
    if (!shown || element("ecg-view").hidden || event.altKey || event.metaKey || event.ctrlKey) return;
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) || (target.tagName === "BUTTON" && (event.key === "Enter" || event.key === " "))) return;
    const n = shown.labels.length;
    const key = event.key;
    const handled = (() => {
      switch (key) {
        case "ArrowRight": strip.select(strip.selected < 0 ? firstOnScreen() : Math.min(n - 1, strip.selected + 1)); return true;
        case "ArrowLeft": strip.select(strip.selected < 0 ? firstOnScreen() : Math.max(0, strip.selected - 1)); return true;
        case "PageDown": strip.scrollBy(1); return true;
        case "PageUp": strip.scrollBy(-1); return true;
        case "Home": strip.scrollTo(0); return true;
        case "End": strip.scrollTo(Infinity); return true;
        case "+": case "=": strip.zoomBy(-1); return true;
        case "-": case "_": strip.zoomBy(1); return true;
        case "Enter": strip.select(strip.selected < 0 ? firstOnScreen() : strip.selected); return true;
        case "v": case "V": case "s": case "S": case "d": case "D": go(key.toUpperCase(), event.shiftKey ? -1 : 1); return true;
        case "l": case "L": element("live").click(); return true;
        default: return false;
      }
    })();
    if (handled) event.preventDefault();
  });
}

function firstOnScreen(): number {
  const record = shown!;
  const start = strip.viewStart * record.sampleRate;
  const i = Array.prototype.findIndex.call(record.sampleOfBeat, (s: number) => s >= start);
  return i < 0 ? record.labels.length - 1 : i;
}

const liveStats = { beats: 0, totalMs: 0, maxMs: 0, settled: 0 };

function startLive(): void {
  if (!shown) return;
  const speed = Number(element<HTMLSelectElement>("live-speed").value);
  Object.assign(liveStats, { beats: 0, totalMs: 0, maxMs: 0, settled: 0 });
  exposed.spikemedPage.live = [];
  element("live-panel").hidden = false;
  element("live-log").replaceChildren();
  element("live-status").textContent = `Playing at ${speed === 1 ? "real time" : `${speed} times real time`}: each beat is classified alone once its window has ended, ` +
    "one time step of the network at a time (its step API). " +
    "(The beats are those detected over the whole record: the detector and the patient-relative measurements read it all.)";
  element("live").textContent = "■ Stop";
  strip.shownUpTo = -1;
  strip.playHead = 0;
  strip.scrollTo(0);
  send("live", (id) => ({ id, live: speed }));
}

function liveBeat(beat: { index: number; label: number; probabilities: Float32Array; latencyMs: number; settledStep: number; steps: number; atSeconds: number }): void {
  const record = shown!;
  const seconds = record.sampleOfBeat[beat.index] / record.sampleRate;
  liveStats.beats++;
  liveStats.totalMs += beat.latencyMs;
  liveStats.maxMs = Math.max(liveStats.maxMs, beat.latencyMs);
  liveStats.settled += beat.settledStep;
  exposed.spikemedPage.live.push({ index: beat.index, label: beat.label, latencyMs: beat.latencyMs, settledStep: beat.settledStep, steps: beat.steps });
  strip.shownUpTo = beat.index;
  // The play head: the record's time when the beat's window ended and it was classified.
  strip.playHead = beat.atSeconds;
  if (beat.atSeconds > strip.viewStart + 0.9 * strip.seconds || beat.atSeconds < strip.viewStart) strip.scrollTo(beat.atSeconds - 0.5 * strip.seconds);
  else strip.draw();
  const line = document.createElement("div");
  line.textContent = `${clock(seconds).padStart(7)}  beat ${String(beat.index + 1).padStart(5)}  ${classNames[beat.label].padEnd(2)} p ${beat.probabilities[beat.label].toFixed(3)}  ${beat.latencyMs.toFixed(1).padStart(5)} ms  class from step ${beat.settledStep} of ${beat.steps}`;
  const log = element("live-log");
  log.prepend(line);
  while (log.childElementCount > 200) log.lastElementChild!.remove();
  element("live-status").dataset.beats = String(liveStats.beats);
  element("live-status").textContent = `${liveStats.beats.toLocaleString("en")} beats classified as they completed; latency per beat ${(liveStats.totalMs / liveStats.beats).toFixed(1)} ms mean, ${liveStats.maxMs.toFixed(1)} ms at most; ` +
    `the class settled after ${(liveStats.settled / liveStats.beats).toFixed(1)} of ${beat.steps} time steps on average.`;
}

function stopLive(message?: string): void {
  if (!latest.live) return;
  if (message !== "The record has been played to its end.") worker.postMessage({ id: ++requests, live: 0 } satisfies PageRequest);
  latest.live = 0;
  element("live").textContent = "▶ Live";
  strip.shownUpTo = Infinity;
  strip.playHead = null;
  strip.draw();
  if (message) element("live-status").textContent += ` ${message}`;
}
