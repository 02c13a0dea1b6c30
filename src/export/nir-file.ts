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
import h5wasm from "h5wasm/node";
import { SpikemedError } from "../core/index.js";
import type { Network } from "../model/index.js";
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

/** Exports a network as a NIR HDF5 file. */
export async function exportNir(network: Network, file: string, options: NirExportOptions = {}): Promise<NirSummary> {
  const graph = toNirGraph(network, options);
  await writeNirFile(graph, file);
  return {
    file, bytes: statSync(file).size, version: NIR_VERSION, dt: graph.dt,
    nodes: graph.nodes.map(({ name, type, inputType, outputType, source }) => ({ name, type, inputType, outputType, source })),
    edges: graph.edges, warnings: graph.warnings, notes: graph.notes,
  };
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
