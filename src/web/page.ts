/**
 * The page `spikemed serve` opens: the run's network classifies a WFDB record's heartbeats in the
 * browser (in page-worker.ts), from the server's records or the user's own files, which never
 * leave the machine. `?record=NAME` classifies one of the server's records on load.
 */
import type { RecordPrediction } from "./index.js";
import type { PageRequest } from "./page-worker.js";

type WorkerReply =
  | { kind: "run"; backend: string; model: string; parameters: number; classNames: string[] }
  | { kind: "prediction"; id: number; prediction: RecordPrediction; seconds: number; minutes: number; sampleRate: number }
  | { kind: "error"; id?: number; message: string };

const element = (id: string) => document.getElementById(id)!;
const worker = new Worker(new URL("./page-worker.js", import.meta.url), { type: "module" });
let classNames: string[] = [];
let requests = 0;
const labelOf = new Map<number, string>();

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
    (element("classify") as HTMLButtonElement).disabled = false;
  } else if (reply.kind === "error") {
    if (reply.id === undefined || reply.id === requests) fail(reply.message);
  } else if (reply.id === requests) {
    const beats = reply.prediction.labels.length;
    element("status").textContent = `${beats.toLocaleString("en")} beats of ${labelOf.get(reply.id)} (${reply.minutes.toFixed(1)} min) in ${reply.seconds.toFixed(1)} s.`;
    show(reply.prediction, reply.sampleRate);
    // Machine-readable, for scripts that drive the page (bench/web-speed.ts).
    Object.assign(document.body.dataset, { seconds: String(reply.seconds), done: String(reply.id) });
  }
};

function classify(label: string, request: (id: number) => PageRequest): void {
  const id = ++requests;
  labelOf.set(id, label);
  element("status").textContent = `Classifying the beats of ${label}...`;
  element("result").replaceChildren();
  worker.postMessage(request(id));
}

async function main(): Promise<void> {
  const select = element("records") as HTMLSelectElement;
  const names = (await (await fetch("/data/records.json")).json()) as string[];
  select.replaceChildren(...names.map((name) => Object.assign(document.createElement("option"), { value: name, textContent: name })));
  element("classify").onclick = () => classify(`record ${select.value}`, (id) => ({ id, record: select.value }));
  const input = element("files") as HTMLInputElement;
  input.onchange = async () => {
    const files = await Promise.all(Array.from(input.files ?? [], async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
    if (files.length) classify("your record", (id) => ({ id, files }));
  };
  const requested = new URLSearchParams(location.search).get("record");
  if (requested) {
    select.value = requested;
    classify(`record ${requested}`, (id) => ({ id, record: requested }));
  }
}

function show(prediction: RecordPrediction, sampleRate: number): void {
  const table = (head: string[], rows: (string | number)[][], classOf?: (row: number) => string) => {
    const t = document.createElement("table");
    t.append(Object.assign(document.createElement("tr"), { innerHTML: head.map((h) => `<th>${h}</th>`).join("") }));
    rows.forEach((cells, r) => {
      const tr = document.createElement("tr");
      if (classOf) tr.className = classOf(r);
      for (const cell of cells) tr.append(Object.assign(document.createElement("td"), { textContent: String(cell) }));
      t.append(tr);
    });
    return t;
  };
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

main().catch((err: Error) => fail(err.message));
