/**
 * Evaluation protocols for the chest X-ray set: train/val/test image indices plus a plain-text
 * description for the report. All splits are grouped: images sharing a patient_id always land
 * in the same split (images without one are their own group), and stratified: groups are split
 * separately per stratum (class set of the group, and source where the protocol keeps sources
 * apart), taking shuffled groups in turn into train, val, test by the cumulative share of images.
 */
import { SpikemedError } from "../../core/errors.js";
import { Rng } from "../../core/random.js";
import type { CxrIndex } from "./listing.js";

export type ProtocolName = "mixed" | "same-source" | "leave-one-source-out";
export const PROTOCOLS: readonly ProtocolName[] = ["mixed", "same-source", "leave-one-source-out"];

/** What a split needs to know about each image (CxrImages has these fields). */
export interface SplitInput {
  classes: string[];
  labels: ArrayLike<number>;
  patientIds: readonly (string | null)[];
  sources: readonly (string | null)[];
}

export interface SplitFractions {
  train: number;
  val: number;
  test: number;
}

/** The paper's 70/14/16. */
export const PAPER_FRACTIONS: SplitFractions = { train: 0.7, val: 0.14, test: 0.16 };

export interface ProtocolOptions {
  seed: number;
  /** mixed and same-source. Default PAPER_FRACTIONS. */
  fractions?: SplitFractions;
  /** leave-one-source-out: the source that is the whole test set. */
  heldOutSource?: string;
  /** leave-one-source-out: share of the remaining images for validation. Default 0.14 / 0.84. */
  valFraction?: number;
}

export interface CxrSplit {
  protocol: ProtocolName;
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  /** Sources the split draws from (empty when the data has no sources). */
  sources: string[];
  description: string;
}

/** The metadata of a listing, for splitting before (or without) decoding. */
export function splitInputFromIndex(index: CxrIndex): SplitInput {
  return {
    classes: index.classes,
    labels: Int32Array.from(index.entries, (e) => e.label),
    patientIds: index.entries.map((e) => e.patientId),
    sources: index.entries.map((e) => e.source),
  };
}

export function makeSplit(protocol: ProtocolName, data: SplitInput, options: ProtocolOptions): CxrSplit {
  switch (protocol) {
    case "mixed":
      return splitMixed(data, options);
    case "same-source":
      return splitSameSource(data, options);
    case "leave-one-source-out":
      return splitLeaveOneSourceOut(data, options);
    default:
      throw new SpikemedError(`protocol "${String(protocol)}" is not one of ${PROTOCOLS.join(", ")}`);
  }
}

/** Stratified by class over the whole set, grouped by patient. */
export function splitMixed(data: SplitInput, options: ProtocolOptions): CxrSplit {
  const fractions = checkFractions(options.fractions ?? PAPER_FRACTIONS);
  const all = Array.from({ length: data.labels.length }, (_, i) => i);
  const parts = groupedStratifiedSplit(all, data, fractions, new Rng(options.seed).fork("mixed"), () => "");
  const sources = distinctSources(data, all);
  const notes: string[] = [];
  const singleClassShare = shareInSingleClassSources(data);
  if (singleClassShare !== null && singleClassShare > 0) {
    notes.push(`${pct(singleClassShare)} of the images come from sources that hold only one class, so this score can reflect the source rather than the disease; compare with same-source and leave-one-source-out.`);
  }
  return finish("mixed", data, parts, sources, `mixed: stratified ${fractionText(fractions)} split of all ${fmt(all.length)} images by class, ${groupingText(data, all)}, seed ${options.seed}.`, notes);
}

/** Only sources that hold every class, stratified by source and class, grouped by patient. */
export function splitSameSource(data: SplitInput, options: ProtocolOptions): CxrSplit {
  const fractions = checkFractions(options.fractions ?? PAPER_FRACTIONS);
  requireSources(data, "same-source");
  const sources = sourcesWithAllClasses(data);
  if (sources.length === 0) throw new SpikemedError(`protocol same-source: no source holds images of every class (${data.classes.join(", ")})`);
  const keep = new Set(sources);
  const chosen: number[] = [];
  for (let i = 0; i < data.labels.length; i++) if (keep.has(sourceOf(data, i))) chosen.push(i);
  const parts = groupedStratifiedSplit(chosen, data, fractions, new Rng(options.seed).fork("same-source"), (i) => sourceOf(data, i));
  const perSource = sources.map((s) => `${s} ${classCounts(data, chosen.filter((i) => sourceOf(data, i) === s))}`).join("; ");
  return finish(
    "same-source",
    data,
    parts,
    sources,
    `same-source: ${fmt(chosen.length)} of ${fmt(data.labels.length)} images, from the sources that hold every class (${perSource}), stratified ${fractionText(fractions)} by source and class, ${groupingText(data, chosen)}, seed ${options.seed}.`,
    [],
  );
}

/** The held-out source is the test set; train and validation come from the other sources. */
export function splitLeaveOneSourceOut(data: SplitInput, options: ProtocolOptions): CxrSplit {
  requireSources(data, "leave-one-source-out");
  const all = distinctSources(data, Array.from({ length: data.labels.length }, (_, i) => i));
  const held = options.heldOutSource;
  if (!held) throw new SpikemedError(`protocol leave-one-source-out needs the source to hold out (one of: ${all.join(", ")})`);
  if (!all.includes(held)) throw new SpikemedError(`protocol leave-one-source-out: source "${held}" is not in the data (sources: ${all.join(", ")})`);
  const valFraction = options.valFraction ?? PAPER_FRACTIONS.val / (PAPER_FRACTIONS.train + PAPER_FRACTIONS.val);
  if (!(valFraction >= 0 && valFraction < 1)) throw new SpikemedError(`option valFraction: must be in [0, 1) (got ${valFraction})`);

  const test: number[] = [];
  const heldPatients = new Set<string>();
  for (let i = 0; i < data.labels.length; i++) {
    if (sourceOf(data, i) !== held) continue;
    test.push(i);
    const p = data.patientIds[i];
    if (p) heldPatients.add(p);
  }
  // A patient seen at test time must not be trained on, even under another source's name.
  const rest: number[] = [];
  let droppedForPatient = 0;
  for (let i = 0; i < data.labels.length; i++) {
    if (sourceOf(data, i) === held) continue;
    const p = data.patientIds[i];
    if (p && heldPatients.has(p)) droppedForPatient++;
    else rest.push(i);
  }
  const parts = groupedStratifiedSplit(rest, data, { train: 1 - valFraction, val: valFraction, test: 0 }, new Rng(options.seed).fork(`loso:${held}`), () => "");
  parts.test = test;
  const notes: string[] = [];
  if (droppedForPatient > 0) notes.push(`${fmt(droppedForPatient)} images of held-out patients filed under other sources were left out of training.`);
  const testClasses = new Set(test.map((i) => data.labels[i]));
  if (testClasses.size < data.classes.length) {
    const present = [...testClasses].map((c) => data.classes[c]).join(", ");
    notes.push(`The held-out source holds only ${present} images: test accuracy is the recall of that class, and ROC AUC is undefined.`);
  }
  return finish(
    "leave-one-source-out",
    data,
    parts,
    all.filter((s) => s !== held),
    `leave-one-source-out: test = every image of source "${held}" (${fmt(test.length)}); train and validation (${fmt(Math.round((1 - valFraction) * 100))}/${fmt(Math.round(valFraction * 100))}, stratified by class) from the other sources (${all.filter((s) => s !== held).join(", ")}), ${groupingText(data, rest)}, seed ${options.seed}.`,
    notes,
  );
}

/** Sources (sorted) that have at least one image of every class. */
export function sourcesWithAllClasses(data: SplitInput): string[] {
  const seen = new Map<string, Set<number>>();
  for (let i = 0; i < data.labels.length; i++) {
    const s = data.sources[i];
    if (s === null) continue;
    if (!seen.has(s)) seen.set(s, new Set());
    seen.get(s)!.add(data.labels[i]);
  }
  return [...seen].filter(([, labels]) => labels.size === data.classes.length).map(([s]) => s).sort();
}

interface SplitParts {
  train: number[];
  val: number[];
  test: number[];
}

function groupedStratifiedSplit(indices: number[], data: SplitInput, fractions: SplitFractions, rng: Rng, stratumOf: (i: number) => string): SplitParts {
  const groups = new Map<string, number[]>();
  for (const i of indices) {
    const key = data.patientIds[i] !== null ? `p:${data.patientIds[i]}` : `i:${i}`;
    const members = groups.get(key);
    if (members) members.push(i);
    else groups.set(key, [i]);
  }
  const strata = new Map<string, number[][]>();
  for (const members of groups.values()) {
    const labels = [...new Set(members.map((i) => data.labels[i]))].sort((a, b) => a - b).join("+");
    const extras = [...new Set(members.map(stratumOf))].sort().join("+");
    const key = `${extras}|${labels}`;
    const list = strata.get(key);
    if (list) list.push(members);
    else strata.set(key, [members]);
  }
  const parts: SplitParts = { train: [], val: [], test: [] };
  const trainEnd = fractions.train;
  const valEnd = fractions.train + fractions.val;
  for (const key of [...strata.keys()].sort()) {
    const list = strata.get(key)!;
    const order = rng.fork(key).permutation(list.length);
    const total = list.reduce((n, m) => n + m.length, 0);
    let before = 0;
    for (const g of order) {
      const members = list[g];
      // The group goes where the midpoint of its images falls in the cumulative order.
      const position = (before + members.length / 2) / total;
      before += members.length;
      const target = position < trainEnd ? parts.train : position < valEnd ? parts.val : parts.test;
      for (const i of members) target.push(i);
    }
  }
  return parts;
}

function finish(protocol: ProtocolName, data: SplitInput, parts: SplitParts, sources: string[], head: string, notes: string[]): CxrSplit {
  const sorted = (a: number[]): Int32Array => Int32Array.from(a).sort();
  const train = sorted(parts.train);
  const val = sorted(parts.val);
  const test = sorted(parts.test);
  const counts = `train ${fmt(train.length)} (${classCounts(data, train)}), val ${fmt(val.length)} (${classCounts(data, val)}), test ${fmt(test.length)} (${classCounts(data, test)}).`;
  return { protocol, train, val, test, sources, description: [head, counts, ...notes].join(" ") };
}

function checkFractions(f: SplitFractions): SplitFractions {
  const values = [f.train, f.val, f.test];
  if (values.some((v) => !(v >= 0)) || !(f.train > 0) || Math.abs(values.reduce((a, b) => a + b, 0) - 1) > 1e-9) {
    throw new SpikemedError(`option fractions: train/val/test must be non-negative, train > 0, and sum to 1 (got ${values.join("/")})`);
  }
  return f;
}

function requireSources(data: SplitInput, protocol: string): void {
  if (data.sources.every((s) => s === null)) {
    throw new SpikemedError(`protocol ${protocol} needs the source of each image`, "use a manifest CSV with a source column (a folder of class subfolders has no sources)");
  }
}

function sourceOf(data: SplitInput, i: number): string {
  return data.sources[i] ?? "(no source)";
}

function distinctSources(data: SplitInput, indices: Iterable<number>): string[] {
  const out = new Set<string>();
  for (const i of indices) if (data.sources[i] !== null) out.add(data.sources[i]!);
  return [...out].sort();
}

function shareInSingleClassSources(data: SplitInput): number | null {
  if (data.sources.every((s) => s === null)) return null;
  const mixedSources = new Set(sourcesWithAllClasses(data));
  let n = 0;
  for (let i = 0; i < data.labels.length; i++) if (!mixedSources.has(sourceOf(data, i))) n++;
  return n / data.labels.length;
}

function groupingText(data: SplitInput, indices: number[]): string {
  const patients = new Set<string>();
  let withId = 0;
  for (const i of indices) {
    const p = data.patientIds[i];
    if (p !== null) {
      withId++;
      patients.add(p);
    }
  }
  if (withId === 0) return "no patient_id given (each image its own group)";
  const without = indices.length - withId;
  const rest = without === 0 ? "every image has one" : `${fmt(without)} images without patient_id are their own group`;
  return `grouped by patient_id (${fmt(withId)} images of ${fmt(patients.size)} patients; ${rest})`;
}

function classCounts(data: SplitInput, indices: ArrayLike<number>): string {
  const counts = new Array<number>(data.classes.length).fill(0);
  for (let k = 0; k < indices.length; k++) counts[data.labels[indices[k]]]++;
  return data.classes.map((c, i) => `${c} ${fmt(counts[i])}`).join(", ");
}

function fractionText(f: SplitFractions): string {
  return [f.train, f.val, f.test].map((v) => fmt(Math.round(v * 1000) / 10)).join("/");
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}
