/**
 * Writes NIR graphs to HDF5 the way neuromorphs/NIR's `nir.write` lays them out, so `nir.read`
 * loads them: a root dataset `version` and a group `node` holding the graph (`type` = "NIRGraph",
 * a group `nodes` with one group per node, `edges` as an [E, 2] array of strings, `metadata`).
 * Strings are variable-length UTF-8, integers int64, parameter arrays float32 with gzip, as h5py
 * stores the numpy values NIR hands it. Like nir.write, nodes carry no input_type/output_type
 * groups (nir.read rejects them): NIR derives them from the parameters (weights, neuron arrays,
 * Conv input_shape, Flatten input_type, Input/Output shape).
 */
import { existsSync, rmSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import h5wasm from "h5wasm/node";
import { SpikemedError } from "../core/index.js";
import type { Network } from "../model/index.js";
import type { NirFileGraph } from "./nir-format.js";
import { fromNirGraph, type ImportedNir, type NirImportOptions } from "./nir-import.js";

export type { NirFileGraph };
import { toNirGraph, type NirExportOptions, type NirGraph, type NirNodeType, type NirValue } from "./nir.js";

/** The NIR release whose primitives (LIF with v_reset) and file layout this writer follows. */
export const NIR_VERSION = "1.0.7";

export interface NirSummary {
  file: string;
  bytes: number;
  version: string;
  dt: number;
  nodes: { name: string; type: NirNodeType; inputType: number[]; outputType: number[]; source: string[] }[];
  edges: [string, string][];
  warnings: string[];
  notes: string[];
}

/** Exports a network as a NIR HDF5 file, read back to check that the file holds the graph. */
export async function exportNir(network: Network, file: string, options: NirExportOptions = {}): Promise<NirSummary> {
  const graph = toNirGraph(network, options);
  await writeNirFile(graph, file);
  const written = await readNirFile(file);
  const shape = (nodes: { name: string; type: string }[]) => nodes.map((n) => `${n.name}:${n.type}`).sort().join(" ");
  if (shape(written.nodes) !== shape(graph.nodes) || written.edges.join(" ") !== graph.edges.join(" ")) {
    throw new SpikemedError(`export: "${file}" does not read back as the graph that was written`, "check the disk and export again");
  }
  return {
    file, bytes: statSync(file).size, version: NIR_VERSION, dt: graph.dt,
    nodes: graph.nodes.map(({ name, type, inputType, outputType, source }) => ({ name, type, inputType, outputType, source })),
    edges: graph.edges, warnings: graph.warnings, notes: graph.notes,
  };
}

/** Reads a NIR file and builds the network it describes (fromNirGraph); errors name the file. */
export async function importNir(file: string, options: NirImportOptions = {}): Promise<ImportedNir> {
  const graph = await readNirFile(file);
  try {
    return fromNirGraph(graph, options);
  } catch (err) {
    if (!(err instanceof SpikemedError)) throw err;
    const fix = err.hint === undefined ? "" : `\n  fix: ${err.hint}`;
    throw new SpikemedError(`${file}: ${err.message.slice(0, err.message.length - fix.length).replace(/^import: /, "")}`, err.hint);
  }
}

/** Writes a graph to `file` (replacing it); a partly written file is removed on failure. */
export async function writeNirFile(graph: NirGraph, file: string): Promise<void> {
  const path = resolve(file);
  if (!existsSync(dirname(path))) throw new SpikemedError(`export: cannot write "${file}": folder ${dirname(path)} does not exist`);
  await h5wasm.ready;
  let h5: InstanceType<typeof h5wasm.File>;
  try {
    h5 = new h5wasm.File(path, "w");
  } catch (e) {
    throw new SpikemedError(`export: cannot create "${file}": ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    h5.create_dataset({ name: "version", data: NIR_VERSION, dtype: "S" });
    const root = h5.create_group("node");
    root.create_dataset({ name: "type", data: "NIRGraph", dtype: "S" });
    root.create_dataset({ name: "edges", data: graph.edges.flat(), shape: [graph.edges.length, 2], dtype: "S" });
    const nodes = root.create_group("nodes");
    for (const node of graph.nodes) {
      const group = nodes.create_group(node.name);
      group.create_dataset({ name: "type", data: node.type, dtype: "S" });
      for (const [key, value] of Object.entries(node.params)) writeValue(group, key, value);
    }
    const metadata = root.create_group("metadata");
    for (const [key, value] of Object.entries(graph.metadata)) {
      if (typeof value === "string") metadata.create_dataset({ name: key, data: value, dtype: "S" });
      else metadata.create_dataset({ name: key, data: new Float64Array([value]), shape: [] });
    }
  } catch (e) {
    h5.close();
    rmSync(path, { force: true });
    throw new SpikemedError(`export: writing "${file}" failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  h5.close();
}

type H5Group = ReturnType<InstanceType<typeof h5wasm.File>["create_group"]>;


/** Parameters larger than this are refused before reading: a damaged shape must not allocate gigabytes. */
const MAX_PARAM_VALUES = 1 << 26;

/** Subgraphs nested deeper than this are refused (snnTorch and NIR's own examples nest one level). */
const MAX_SUBGRAPH_DEPTH = 16;

/** How long reading a NIR file may take before it is refused. */
export const NIR_READ_TIME_LIMIT_MS = 30_000;

let reader: { worker: Worker; next: number } | null = null;

/**
 * Reads a NIR HDF5 file (the layout writeNirFile and NIR's `nir.write` produce). Anything else
 * (not HDF5, a missing or mistyped entry, NaN or infinite parameters, an edge naming no node)
 * is a SpikemedError naming the file. The reading runs in a worker thread and is stopped after
 * `timeLimitMs`: the HDF5 library loops forever on some damaged files (a corrupt global heap
 * under a string, found by `npm run fuzz`), and no check before reading can tell.
 */
export async function readNirFile(file: string, { timeLimitMs = NIR_READ_TIME_LIMIT_MS } = {}): Promise<NirFileGraph> {
  reader ??= { worker: new Worker(new URL("./nir-read-worker.js", import.meta.url)), next: 0 };
  const { worker } = reader;
  const id = reader.next++;
  worker.ref();
  try {
    return await new Promise<NirFileGraph>((resolve, reject) => {
      const timer = setTimeout(() => {
        reader = null;
        void worker.terminate();
        reject(new SpikemedError(`${file}: not a readable NIR file (still reading after ${timeLimitMs / 1000} s: a damaged HDF5 file can make the HDF5 library loop)`,
          "pass a file written by spikemed export or NIR's nir.write"));
      }, timeLimitMs);
      const onMessage = (reply: NirReadReply) => {
        if (reply.id !== id) return;
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        if ("graph" in reply) resolve(reply.graph);
        else reject(reply.spikemed ? new SpikemedError(reply.message, reply.hint) : new Error(reply.message));
      };
      const onError = (err: Error) => {
        clearTimeout(timer);
        reader = null;
        reject(err);
      };
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.postMessage({ id, file });
    });
  } finally {
    worker.unref();
  }
}

/** The reader worker's answer to one request. */
export type NirReadReply = { id: number; graph: NirFileGraph } | { id: number; message: string; hint?: string; spikemed: boolean };

/** readNirFile's work, in the reader worker (nir-read-worker.ts). */
export async function readNirFileHere(file: string): Promise<NirFileGraph> {
  const bad = (reason: string) => new SpikemedError(`${file}: not a readable NIR file (${reason})`, "pass a file written by spikemed export or NIR's nir.write");
  if (!existsSync(file)) throw new SpikemedError(`${file}: no such file`);
  const module = await h5wasm.ready;
  // HDF5 failures become exceptions (instead of diagnostics on stderr and an invalid handle).
  module.activate_throwing_error_handler();
  let h5: InstanceType<typeof h5wasm.File>;
  try {
    h5 = new h5wasm.File(resolve(file), "r");
  } catch (e) {
    throw bad(hdf5Reason(e));
  }
  try {
    const entry = (group: InstanceType<typeof h5wasm.Group>, name: string): unknown => group.get(name);
    const text = (item: unknown, what: string): string => {
      if (!(item instanceof h5wasm.Dataset) || item.shape?.length !== 0 || typeof item.value !== "string") throw bad(`${what} is not a string`);
      return item.value;
    };
    const version = text(entry(h5, "version"), "version");
    const root = entry(h5, "node");
    if (!(root instanceof h5wasm.Group) || text(entry(root, "type"), "node/type") !== "NIRGraph") throw bad("no NIRGraph at node/");
    type Level = { nodes: NirFileGraph["nodes"]; edges: [string, string][]; inputs: string[]; outputs: string[] };
    /**
     * The graph in `group` with its subgraphs (NIRGraph nodes) flattened: their nodes named
     * "subgraph.node", an edge to or from a subgraph joined to its Input or Output node, and those
     * Input and Output nodes then replaced by edges straight through them.
     */
    const readLevel = (group: InstanceType<typeof h5wasm.Group>, path: string, depth: number): Level => {
      const at = path || "node";
      if (depth > MAX_SUBGRAPH_DEPTH) throw bad(`subgraphs nest more than ${MAX_SUBGRAPH_DEPTH} deep at ${at}`);
      const nodesGroup = entry(group, "nodes");
      if (!(nodesGroup instanceof h5wasm.Group)) throw bad(`no ${at}/nodes group`);
      const prefix = path ? `${path}.` : "";
      const nodes: NirFileGraph["nodes"] = [];
      const edges: [string, string][] = [];
      const subgraphs = new Map<string, Level>();
      const markers: { inputs: string[]; outputs: string[] } = { inputs: [], outputs: [] };
      for (const name of nodesGroup.keys()) {
        const child = entry(nodesGroup, name);
        if (!(child instanceof h5wasm.Group)) throw bad(`node ${prefix}${name} is not a group`);
        const type = text(entry(child, "type"), `node ${prefix}${name}'s type`);
        if (type === "NIRGraph") {
          const inner = readLevel(child, prefix + name, depth + 1);
          subgraphs.set(name, inner);
          nodes.push(...inner.nodes);
          edges.push(...inner.edges);
          continue;
        }
        const params: NirFileGraph["nodes"][number]["params"] = {};
        for (const key of child.keys()) {
          const item = entry(child, key);
          if (key === "type" || !(item instanceof h5wasm.Dataset)) continue;
          params[key] = numericParam(item, `node ${prefix}${name}'s ${key}`, bad);
        }
        nodes.push({ name: prefix + name, type, params });
        if (type === "Input") markers.inputs.push(prefix + name);
        if (type === "Output") markers.outputs.push(prefix + name);
      }
      const edgesItem = entry(group, "edges");
      if (!(edgesItem instanceof h5wasm.Dataset)) throw bad(`no ${at}/edges`);
      const shape = edgesItem.shape ?? [];
      const flat = shape.length === 2 && shape[1] === 2 && shape[0] === 0 ? [] : edgesItem.value;
      if (!(shape.length === 2 && shape[1] === 2) || !Array.isArray(flat) || !flat.every((v) => typeof v === "string")) throw bad(`${at}/edges is not an [E, 2] array of node names`);
      const names = new Set(nodes.map((n) => n.name));
      const end = (name: string, side: "inputs" | "outputs", edge: string): string => {
        const sub = subgraphs.get(name);
        if (sub) {
          if (sub[side].length !== 1) throw bad(`edge ${edge} meets subgraph ${prefix}${name}, which has ${sub[side].length} ${side === "inputs" ? "Input" : "Output"} nodes`);
          return sub[side][0];
        }
        if (!names.has(prefix + name)) throw bad(`edge ${edge} names a node the file does not hold`);
        return prefix + name;
      };
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const edge = `${prefix}${flat[i]} -> ${prefix}${flat[i + 1]}`;
        edges.push([end(flat[i] as string, "outputs", edge), end(flat[i + 1] as string, "inputs", edge)]);
      }
      // A subgraph's Input and Output nodes only mark where its edges enter and leave.
      for (const inner of subgraphs.values()) {
        for (const marker of [...inner.inputs, ...inner.outputs]) {
          const into = edges.filter(([, b]) => b === marker).map(([a]) => a);
          const from = edges.filter(([a]) => a === marker).map(([, b]) => b);
          const kept = edges.filter(([a, b]) => a !== marker && b !== marker);
          edges.length = 0;
          edges.push(...kept, ...into.flatMap((a) => from.map((b): [string, string] => [a, b])));
          nodes.splice(nodes.findIndex((n) => n.name === marker), 1);
        }
      }
      return { nodes, edges, ...markers };
    };
    const { nodes, edges } = readLevel(root, "", 0);
    const metadata: NirFileGraph["metadata"] = {};
    const metadataGroup = entry(root, "metadata");
    if (metadataGroup instanceof h5wasm.Group) {
      for (const key of metadataGroup.keys()) {
        const item = entry(metadataGroup, key);
        if (!(item instanceof h5wasm.Dataset)) continue;
        const value = item.value;
        if (typeof value === "string") metadata[key] = value;
        else if (typeof value === "number" || typeof value === "bigint") metadata[key] = Number(value);
        else if (ArrayBuffer.isView(value) && (value as ArrayLike<number>).length === 1) metadata[key] = Number((value as ArrayLike<number>)[0]);
      }
    }
    return { version, nodes, edges, metadata };
  } catch (e) {
    if (e instanceof SpikemedError) throw e;
    throw bad(hdf5Reason(e));
  } finally {
    h5.close();
  }
}

function numericParam(item: InstanceType<typeof h5wasm.Dataset>, what: string, bad: (reason: string) => SpikemedError): { shape: number[]; data: Float64Array } {
  const shape = item.shape;
  if (!shape) throw bad(`${what} has no shape`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_PARAM_VALUES) throw bad(`${what} holds ${count} values, more than ${MAX_PARAM_VALUES}`);
  const value = item.value;
  const values = typeof value === "number" || typeof value === "bigint" ? [value] : ArrayBuffer.isView(value) ? Array.from(value as ArrayLike<number | bigint>) : null;
  if (!values || values.length !== count || !values.every((v) => typeof v === "number" || typeof v === "bigint")) throw bad(`${what} is not numeric`);
  const data = Float64Array.from(values, Number);
  if (!data.every(Number.isFinite)) throw bad(`${what} holds NaN or infinite values`);
  return { shape, data };
}

/** The innermost HDF5 diagnostic ("file signature not found"), not the whole stack h5wasm reports. */
function hdf5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split("\n").map((l) => l.trim());
  const innermost = lines.filter((l) => /^#\d+:/.test(l)).pop();
  return innermost ? innermost.replace(/^#\d+:.*?\(\):\s*/, "") : text.split("\n")[0];
}

function writeValue(group: H5Group, name: string, value: NirValue): void {
  if (value.dtype === "int64") {
    group.create_dataset({ name, data: BigInt64Array.from(value.data, (v) => BigInt(v)), shape: value.shape });
    return;
  }
  if (value.shape.length === 0) {
    group.create_dataset({ name, data: value.data, shape: [] });
    return;
  }
  group.create_dataset({ name, data: value.data, shape: value.shape, chunks: chunkShape(value.shape), compression: "gzip", compression_opts: 4 });
}

/** Chunks of at most 256 Ki values (1 MiB of float32), halving the leading axes first, as HDF5 caps chunk sizes. */
function chunkShape(shape: number[]): number[] {
  const chunks = [...shape];
  const limit = 1 << 18;
  let size = chunks.reduce((a, b) => a * b, 1);
  for (let axis = 0; axis < chunks.length && size > limit; axis++) {
    while (chunks[axis] > 1 && size > limit) {
      const half = Math.ceil(chunks[axis] / 2);
      size = (size / chunks[axis]) * half;
      chunks[axis] = half;
    }
  }
  return chunks;
}

/** The summary as lines for the command line. */
export function describeNir(summary: NirSummary): string {
  const lines = [`wrote ${summary.file} (NIR ${summary.version}, ${summary.bytes} bytes, dt = ${summary.dt} s)`];
  for (const n of summary.nodes) {
    const from = n.source.length ? `  <- ${n.source.join(" + ")}` : "";
    lines.push(`  ${n.name.padEnd(22)} ${n.type.padEnd(10)} [${n.inputType.join(", ")}] -> [${n.outputType.join(", ")}]${from}`);
  }
  for (const w of summary.warnings) lines.push(`warning: ${w}`);
  for (const n of summary.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}
