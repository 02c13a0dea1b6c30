/**
 * The computing half of `spikemed serve`'s page, in a Worker: there the kernels may run on
 * several threads (a page's main thread may not wait for them) and the page stays responsive.
 * Answers each request, a served record's name or the user's files, with the record's
 * per-beat prediction or the error.
 */
import { fetchRecord, fetchRun, getBackend, parseWfdbHeader, predictRecordBeats, recordFromFiles, SpikemedError, useFastBackend, type WfdbRecord } from "./index.js";

export type PageRequest = { id: number; record: string } | { id: number; files: { name: string; bytes: Uint8Array }[] };

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<PageRequest>) => void) | null; postMessage(message: unknown): void };

const ready = (async () => {
  let backend: string;
  try {
    await useFastBackend();
    backend = `WebAssembly kernels on ${getBackend().threads} thread(s)`;
  } catch (err) {
    backend = `reference backend (${(err as Error).message.split("\n")[0]})`;
  }
  const run = await fetchRun("/run/");
  scope.postMessage({
    kind: "run", backend, model: run.manifest.model.name, parameters: run.network.parameterCount(), classNames: run.manifest.classNames,
  });
  return run;
})();
ready.catch((err: Error) => scope.postMessage({ kind: "error", message: err.message }));

scope.onmessage = async ({ data: request }) => {
  try {
    const { manifest, network } = await ready;
    const record = "record" in request ? await fetchRecord(`/data/${request.record}`) : localRecord(request.files);
    const start = performance.now();
    const prediction = predictRecordBeats(network, manifest, record, "record" in request ? `record ${request.record}` : "your record");
    scope.postMessage({
      kind: "prediction", id: request.id, prediction, seconds: (performance.now() - start) / 1000,
      minutes: record.frameCount / record.samplingFrequency / 60, sampleRate: record.samplingFrequency,
    });
  } catch (err) {
    scope.postMessage({ kind: "error", id: request.id, message: (err as Error).message });
  }
};

/** A record from files the user picked: one .hea, the signal files it names, and an optional .atr of the same name. */
function localRecord(files: { name: string; bytes: Uint8Array }[]): WfdbRecord {
  const headers = files.filter((f) => f.name.endsWith(".hea"));
  if (headers.length !== 1) throw new SpikemedError(`pick one .hea file with its signal files; got ${headers.length} .hea files`);
  const name = headers[0].name.slice(0, -4);
  const header = parseWfdbHeader(new TextDecoder("latin1").decode(headers[0].bytes), headers[0].name);
  const bytes = new Map(files.map((f) => [f.name, f.bytes]));
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
