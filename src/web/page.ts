/**
 * The page `spikemed serve` opens: the run's network classifies a WFDB record's heartbeats in the
 * browser, from the server's records or the user's own files (they never leave the machine).
 * `?record=NAME` classifies one of the server's records on load.
 */
import { fetchRecord, fetchRun, parseWfdbHeader, predictRecordBeats, recordFromFiles, SpikemedError, useFastBackend, type RecordPrediction, type WfdbRecord } from "./index.js";

const element = (id: string) => document.getElementById(id)!;

async function main(): Promise<void> {
  let backend = "WebAssembly kernels";
  try {
    await useFastBackend();
  } catch (err) {
    backend = `reference backend (${(err as Error).message.split("\n")[0]})`;
  }
  const { manifest, network } = await fetchRun("/run/");
  element("run").textContent = `Run: model ${manifest.model.name}, ${network.parameterCount().toLocaleString("en")} parameters, classes ${manifest.classNames.join(", ")}; ` +
    `computed in this page on the ${backend}.`;

  const classify = async (what: string, load: () => Promise<WfdbRecord>) => {
    element("status").textContent = `Reading ${what}...`;
    element("result").replaceChildren();
    try {
      const record = await load();
      element("status").textContent = `Classifying the beats of ${what}...`;
      await new Promise((next) => setTimeout(next, 0)); // let the status show before the page is busy
      const start = performance.now();
      const prediction = predictRecordBeats(network, manifest, record, what);
      const seconds = (performance.now() - start) / 1000;
      element("status").textContent = `${prediction.labels.length.toLocaleString("en")} beats of ${what} (${(record.frameCount / record.samplingFrequency / 60).toFixed(1)} min) in ${seconds.toFixed(1)} s.`;
      show(prediction, manifest.classNames, record.samplingFrequency);
    } catch (err) {
      element("status").textContent = (err as Error).message;
      document.body.dataset.error = (err as Error).message;
    }
  };

  const select = element("records") as HTMLSelectElement;
  const names = (await (await fetch("/data/records.json")).json()) as string[];
  select.replaceChildren(...names.map((name) => Object.assign(document.createElement("option"), { value: name, textContent: name })));
  const button = element("classify") as HTMLButtonElement;
  button.disabled = false;
  button.onclick = () => classify(`record ${select.value}`, () => fetchRecord(`/data/${select.value}`));
  const input = element("files") as HTMLInputElement;
  input.onchange = () => {
    if (input.files?.length) classify("your record", () => localRecord(Array.from(input.files!)));
  };
  const requested = new URLSearchParams(location.search).get("record");
  if (requested) {
    select.value = requested;
    await classify(`record ${requested}`, () => fetchRecord(`/data/${requested}`));
  }
}

/** A record from files the user picked: one .hea, the signal files it names, and an optional .atr of the same name. */
async function localRecord(files: File[]): Promise<WfdbRecord> {
  const headers = files.filter((f) => f.name.endsWith(".hea"));
  if (headers.length !== 1) throw new SpikemedError(`pick one .hea file with its signal files; got ${headers.length} .hea files`);
  const name = headers[0].name.slice(0, -4);
  const header = parseWfdbHeader(await headers[0].text(), headers[0].name);
  const bytes = new Map<string, Uint8Array>();
  for (const file of files) bytes.set(file.name, new Uint8Array(await file.arrayBuffer()));
  const annotations = bytes.get(`${name}.atr`);
  return recordFromFiles(name, header, {
    signal: (fileName) => {
      const signal = bytes.get(fileName);
      if (!signal) throw new SpikemedError(`${headers[0].name} names the signal file ${fileName}: pick it too`);
      return signal;
    },
    annotations: annotations ? { bytes: annotations, path: `${name}.atr` } : undefined,
  });
}

function show(prediction: RecordPrediction, classNames: readonly string[], sampleRate: number): void {
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

main().catch((err: Error) => {
  element("status").textContent = err.message;
  document.body.dataset.error = err.message;
});
