/**
 * The page `spikemed serve` opens: the run's network classifies, in the browser (in
 * page-worker.ts), a WFDB record's heartbeats (ECG runs) or chest X-ray images (X-ray runs), from
 * the server's inputs or the user's own files, which never leave the machine. `?record=NAME` or
 * `?image=NAME` classifies one of the server's inputs on load.
 */
import type { RecordPrediction } from "./index.js";
import type { ImageResult, PageRequest, WorkerReply } from "./page-worker.js";

const element = (id: string) => document.getElementById(id)!;
const worker = new Worker(new URL("./page-worker.js", import.meta.url), { type: "module" });
let classNames: string[] = [];
let requests = 0;
const labelOf = new Map<number, string>();

const TASKS = {
  ecg: { heading: "heartbeats classified in this page", input: "Record", files: "or your own WFDB record (its .hea, .dat and, if it has one, .atr):", query: "record" },
  cxr: { heading: "chest X-rays classified in this page", input: "Image", files: "or your own images (PNG or JPEG):", query: "image" },
};

function fail(message: string): void {
  element("status").textContent = message;
  document.body.dataset.error = message;
}

worker.onerror = (event) => fail(`the page's worker failed: ${event.message}`);
worker.onmessage = ({ data: reply }: MessageEvent<WorkerReply>) => {
  if (reply.kind === "run") {
    classNames = reply.classNames;
    element("run").textContent = `Run: model ${reply.model}, ${reply.parameters.toLocaleString("en")} parameters, classes ${classNames.join(", ")}; ` +
      `computed in this browser on the ${reply.backend}.`;
    start(reply.task).catch((err: Error) => fail(err.message));
  } else if (reply.kind === "error") {
    if (reply.id === undefined || reply.id === requests) fail(reply.message);
  } else if (reply.id === requests) {
    if (reply.kind === "record") {
      const beats = reply.prediction.labels.length;
      element("status").textContent = `${beats.toLocaleString("en")} beats of ${labelOf.get(reply.id)} (${reply.minutes.toFixed(1)} min) in ${reply.seconds.toFixed(1)} s.`;
      showRecord(reply.prediction, reply.sampleRate);
    } else {
      element("status").textContent = `${reply.images.length} image(s) in ${reply.seconds.toFixed(2)} s.`;
      showImages(reply.images);
    }
    // Machine-readable, for scripts that drive the page (bench/web-speed.ts, the tests).
    Object.assign(document.body.dataset, { seconds: String(reply.seconds), done: String(reply.id) });
  }
};

function classify(label: string, request: (id: number) => PageRequest): void {
  const id = ++requests;
  labelOf.set(id, label);
  element("status").textContent = `Classifying ${label}...`;
  element("result").replaceChildren();
  worker.postMessage(request(id));
}

/**
 * Once the run is known: the page's words for its task, the file picker, the server's inputs.
 * `data-ready` marks the end, for scripts that drive the page: before it a picked file could
 * find no handler yet.
 */
async function start(task: keyof typeof TASKS): Promise<void> {
  const words = TASKS[task];
  element("heading").textContent = `spikemed: ${words.heading}`;
  element("input-label").textContent = words.input;
  element("files-label").textContent = words.files;
  const input = element("files") as HTMLInputElement;
  input.onchange = async () => {
    const files = await Promise.all(Array.from(input.files ?? [], async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
    if (files.length) classify(task === "ecg" ? "your record" : "your images", (id) => ({ id, files }));
  };
  const select = element("inputs") as HTMLSelectElement;
  const names = (await (await fetch("/data/inputs.json")).json()) as string[];
  select.replaceChildren(...names.map((name) => Object.assign(document.createElement("option"), { value: name, textContent: name })));
  const button = element("classify") as HTMLButtonElement;
  button.onclick = () => classify(`${words.query} ${select.value}`, (id) => ({ id, input: select.value }));
  button.disabled = names.length === 0;
  const requested = new URLSearchParams(location.search).get(words.query);
  if (requested) {
    select.value = requested;
    classify(`${words.query} ${requested}`, (id) => ({ id, input: requested }));
  }
  document.body.dataset.ready = "true";
}

function table(head: string[], rows: (string | number)[][], classOf?: (row: number) => string): HTMLTableElement {
  const t = document.createElement("table");
  t.append(Object.assign(document.createElement("tr"), { innerHTML: head.map((h) => `<th>${h}</th>`).join("") }));
  rows.forEach((cells, r) => {
    const tr = document.createElement("tr");
    if (classOf) tr.className = classOf(r);
    for (const cell of cells) tr.append(Object.assign(document.createElement("td"), { textContent: String(cell) }));
    t.append(tr);
  });
  return t;
}

function showRecord(prediction: RecordPrediction, sampleRate: number): void {
  const { labels, probabilities, sampleOfBeat, summary, agreement } = prediction;
  const K = classNames.length;
  const parts: Node[] = [table(["class", "beats"], classNames.map((c) => [c, summary[c]]))];
  if (agreement) {
    parts.push(Object.assign(document.createElement("p"), {
      textContent: `Against the record's own annotations: ${agreement.matched} beats matched within 150 ms, ${(100 * agreement.agree / Math.max(1, agreement.matched)).toFixed(2)}% of them the same AAMI class.`,
    }));
  }
  const beats = Array.from(labels, (label, i) => ({ i, label }));
  const abnormal = beats.filter((b) => classNames[b.label] !== "N");
  parts.push(Object.assign(document.createElement("h2"), { textContent: `Beats not called N (${abnormal.length})` }));
  const row = ({ i, label }: { i: number; label: number }) => [(sampleOfBeat[i] / sampleRate).toFixed(2), classNames[label], probabilities[i * K + label].toFixed(3)];
  parts.push(table(["time s", "class", "probability"], abnormal.slice(0, 1000).map(row), () => "abnormal"));
  const all = document.createElement("details");
  all.append(Object.assign(document.createElement("summary"), { textContent: `Every beat (${beats.length})` }),
    table(["time s", "class", "probability"], beats.map(row), (r) => (classNames[labels[r]] !== "N" ? "abnormal" : "")));
  parts.push(all);
  element("result").replaceChildren(...parts);
  document.body.dataset.summary = JSON.stringify(summary);
}

function showImages(images: ImageResult[]): void {
  const rows = images.map((image) => {
    if ("error" in image) return [image.name, "could not be read", ...classNames.map(() => ""), image.error];
    const best = classNames.reduce((a, b) => (image.probabilities[b] > image.probabilities[a] ? b : a));
    return [image.name, best, ...classNames.map((c) => image.probabilities[c].toFixed(4)), ""];
  });
  element("result").replaceChildren(table(["image", "class", ...classNames.map((c) => `p(${c})`), "problem"], rows, (r) => ("error" in images[r] ? "abnormal" : "")));
  document.body.dataset.summary = JSON.stringify(images);
}
