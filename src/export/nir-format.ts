/**
 * The NIR shapes that reading, importing and exporting share: a graph as a file stores it, what
 * spikemed records of a node beside NIR's parameters, and the default time step. Kept apart so
 * that the reader, the importer and the exporter import it and not each other.
 */
import type { LayerConfig } from "../model/index.js";

/** snnTorch's export step in seconds: the time constants are derived from the per-step decays with it. */
export const DEFAULT_NIR_DT = 1e-4;

/** A NIR file's graph as stored: node types, numeric parameters (as float64), edges and the graph's metadata. */
export interface NirFileGraph {
  version: string;
  nodes: { name: string; type: string; params: Record<string, { shape: number[]; data: Float64Array }> }[];
  edges: [string, string][];
  /** The graph's metadata entries that are text or single numbers (informative only, as NIR says). */
  metadata: Record<string, string | number>;
}

/** What spikemed's export records of a node beside NIR's parameters: the layer it stands for, and a LIF's per-neuron betas. */
export interface SpikemedNodeLayer {
  layer: LayerConfig;
  beta?: number[];
  /** Nodes that belong to this layer after it (a Threshold after an LI, a Scale after an IF). */
  companions?: string[];
}
