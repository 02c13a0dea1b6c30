import { RESEARCH_NOTICE } from "../core/notice.js";
import { barChartSvg } from "../eval/plots.js";
import { compareWithAnnTwin, estimateEnergy } from "./estimate.js";
import { energyPerEpoch, energyPerInference, type EnergyMeasurement } from "./meter.js";
import type { DeviceSpec, EnergyEstimate, LayerActivity, LayerDescription, TwinComparison } from "./types.js";

/**
 * Counts: digit-grouped when whole; an expected count (a rate times connections) gets three
 * significant digits, digit-grouped below a million and in exponent form above.
 */
export function formatCount(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return value.toLocaleString("en-US");
  if (Math.abs(value) >= 1e6) return formatSignificant(value);
  return Number(value.toPrecision(3)).toLocaleString("en-US", { maximumFractionDigits: 20 });
}

/** Joules and other real quantities: three significant digits, exponent for the very small/large. */
export function formatSignificant(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e6) return Number(value.toPrecision(3)).toString();
  return value.toExponential(2).replace("e+", "e");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const lines = [
    `| ${header.map(cell).join(" | ")} |`,
    `|${rightAligned.map((r) => (r ? "---:" : ":---")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
  return lines.join("\n");
}

function deviceKind(device: DeviceSpec): string {
  return device.spiking ? "spiking (event-based)" : "non-spiking";
}

/** Per-layer statistics and joules per inference on each device, with a total row. */
export function energyTableMarkdown(estimate: EnergyEstimate): string {
  const names = estimate.devices.map((d) => d.name);
  // Without measured rates the event-based columns would only show made-up zeros.
  const eventColumns = estimate.measuredRates;
  const header = [
    "Layer",
    "Type",
    "Output",
    "Connections",
    "Neurons",
    ...(eventColumns ? ["Input rate (spikes/neuron/step)", "Synops/inf (spiking hw)", "Neuron updates/inf (spiking hw)"] : []),
    ...names.map((n) => `J/inf (${n})`),
  ];
  const rows = estimate.rows.map((r) => [
    r.name,
    r.type === "neuron" ? (r.spiking ? "neuron (spiking)" : "neuron (rate)") : r.type,
    r.outputShape.join("x"),
    formatCount(r.connections),
    formatCount(r.neurons),
    ...(eventColumns
      ? [
          r.inputRatePerStep === null ? "" : formatSignificant(r.inputRatePerStep),
          formatCount(r.synopsEventBased),
          formatCount(r.neuronUpdatesEventBased),
        ]
      : []),
    ...names.map((n) => formatSignificant(r.energy[n].total)),
  ]);
  const t = estimate.totals;
  rows.push([
    "**total**",
    "",
    "",
    formatCount(t.connections),
    formatCount(t.neurons),
    ...(eventColumns ? ["", formatCount(t.synopsEventBased), formatCount(t.neuronUpdatesEventBased)] : []),
    ...names.map((n) => formatSignificant(t.energy[n].total)),
  ]);
  return table(header, rows, header.map((_, i) => i >= 3));
}

/** Totals per device with the constants used. */
export function deviceTotalsMarkdown(estimate: EnergyEstimate): string {
  const header = ["Device", "Kind", "J per synop", "J per neuron update", "Synop J/inf", "Neuron J/inf", "Total J/inf"];
  const rows = estimate.devices.map((d) => {
    const e = estimate.totals.energy[d.name];
    return [
      d.name,
      deviceKind(d),
      formatSignificant(d.energyPerSynop),
      formatSignificant(d.energyPerNeuronUpdate),
      formatSignificant(e.synop),
      formatSignificant(e.neuron),
      formatSignificant(e.total),
    ];
  });
  return table(header, rows, header.map((_, i) => i >= 2));
}

function ratioCell(snn: number, ann: number): string {
  if (ann === 0 && snn === 0) return "";
  if (ann === 0) return "costs more (ANN: 0)";
  const ratio = snn / ann;
  return `${formatSignificant(ratio)}x ${ratio < 1 ? "(saves)" : ratio > 1 ? "(costs more)" : "(same)"}`;
}

/**
 * Per layer: the operations of the ANN twin and of the SNN. A layer either connects (synops) or
 * holds neurons (neuron updates), so its SNN / ANN ratio is the same on every device.
 */
export function twinComparisonMarkdown(comparison: TwinComparison): string {
  const header = ["Layer", "Operation", "ANN twin per inference", "SNN per inference", "SNN / ANN"];
  const rows: string[][] = [];
  for (const r of comparison.rows) {
    if (r.annOps.synops + r.snnOps.synops > 0) {
      rows.push([r.name, "synops", formatCount(r.annOps.synops), formatCount(r.snnOps.synops), ratioCell(r.snnOps.synops, r.annOps.synops)]);
    }
    if (r.annOps.neuronUpdates + r.snnOps.neuronUpdates > 0) {
      rows.push([
        r.name,
        "neuron updates",
        formatCount(r.annOps.neuronUpdates),
        formatCount(r.snnOps.neuronUpdates),
        ratioCell(r.snnOps.neuronUpdates, r.annOps.neuronUpdates),
      ]);
    }
  }
  const t = comparison.totals;
  rows.push(["**total**", "synops", formatCount(t.annOps.synops), formatCount(t.snnOps.synops), ratioCell(t.snnOps.synops, t.annOps.synops)]);
  rows.push([
    "**total**",
    "neuron updates",
    formatCount(t.annOps.neuronUpdates),
    formatCount(t.snnOps.neuronUpdates),
    ratioCell(t.snnOps.neuronUpdates, t.annOps.neuronUpdates),
  ]);
  return table(header, rows, header.map((_, i) => i >= 2));
}

/** Per device: joules per inference of the ANN twin and of the SNN at that device's prices. */
export function twinDeviceMarkdown(comparison: TwinComparison): string {
  const header = ["Device", "Kind", "ANN twin J/inf", "SNN J/inf", "SNN / ANN"];
  const rows = comparison.devices.map((d) => {
    const e = comparison.totals.energy[d.name];
    return [d.name, deviceKind(d), formatSignificant(e.ann), formatSignificant(e.snn), ratioCell(e.snn, e.ann)];
  });
  return table(header, rows, header.map((_, i) => i >= 2));
}

/** The SNN on one spiking device against the ANN twin on the conventional device where the twin is cheapest. */
export interface CrossDeviceRow {
  /** The spiking device the SNN runs on. */
  device: string;
  snnJoules: number;
  /** The same SNN / twin ratio on this spiking device's own prices (the same-device table). */
  sameDeviceRatio: number;
}

export interface CrossDeviceComparison {
  /** The conventional device on which the ANN twin costs least, and that cost. */
  twinDevice: string;
  twinJoules: number;
  /** One row per spiking device, cheapest first. */
  rows: CrossDeviceRow[];
}

/**
 * Each spiking device's SNN against the ANN twin where the twin is cheapest among the conventional
 * devices: the comparison a buyer makes (a chip for the SNN or the best ordinary chip for the
 * twin). Null when the devices priced lack either kind.
 */
/** What the cross-device comparison reads of a TwinComparison: the devices and each one's total joules. */
export type TwinTotals = Pick<TwinComparison, "devices"> & { totals: Pick<TwinComparison["totals"], "energy"> };

export function crossDeviceComparison(comparison: TwinTotals): CrossDeviceComparison | null {
  const conventional = comparison.devices.filter((d) => !d.spiking);
  const spiking = comparison.devices.filter((d) => d.spiking);
  if (conventional.length === 0 || spiking.length === 0) return null;
  const energy = comparison.totals.energy;
  const twin = conventional.reduce((best, d) => (energy[d.name].ann < energy[best.name].ann ? d : best));
  const rows = spiking
    .map((d) => ({ device: d.name, snnJoules: energy[d.name].snn, sameDeviceRatio: energy[d.name].snn / energy[d.name].ann }))
    .sort((a, b) => a.snnJoules - b.snnJoules);
  return { twinDevice: twin.name, twinJoules: energy[twin.name].ann, rows };
}

/**
 * One sentence that says whether the spikes save energy: the SNN on its cheapest spiking device
 * against the twin on its cheapest conventional one, and whether the saving survives on the
 * spiking device's own prices (if not, it is the chip's, not the spikes').
 */
export function spikeSavingSentence(comparison: TwinTotals): string {
  const cross = crossDeviceComparison(comparison);
  if (!cross) {
    return "Whether the spikes save energy is not estimated here: that needs at least one spiking and one conventional device among those priced.";
  }
  const best = cross.rows[0];
  const ratio = best.snnJoules / cross.twinJoules;
  const against = `${formatSignificant(best.snnJoules)} J per inference on ${best.device}, ${formatSignificant(ratio)}x its ANN twin on ${cross.twinDevice} ` +
    `(${formatSignificant(cross.twinJoules)} J, the twin's cheapest conventional device)`;
  const own = `on ${best.device}'s own prices the SNN costs ${formatSignificant(best.sameDeviceRatio)}x the twin`;
  if (ratio >= 1) return `No, the spikes do not save energy: the SNN costs ${against}, and ${own}.`;
  if (best.sameDeviceRatio < 1) return `Yes, the spikes save energy: the SNN costs ${against}, and ${own}, so the spikes save work as well as the chip.`;
  return `Only the chip saves energy, not the spikes: the SNN costs ${against}, but ${own}: its spikes and neuron updates are more operations than the twin's multiply-adds.`;
}

/** The SNN on each spiking device against the twin on its cheapest conventional device. */
export function crossDeviceMarkdown(cross: CrossDeviceComparison): string {
  const header = ["SNN on", "SNN J/inf", `ANN twin on ${cross.twinDevice} J/inf`, "SNN / twin", "SNN / twin on the same device"];
  const rows = cross.rows.map((r) => [r.device, formatSignificant(r.snnJoules), formatSignificant(cross.twinJoules),
    ratioCell(r.snnJoules, cross.twinJoules), ratioCell(r.sameDeviceRatio, 1)]);
  return table(header, rows, header.map((_, i) => i >= 1));
}

export interface ReportChart {
  /** File name the Markdown links to; write the SVG next to the report under this name. */
  fileName: string;
  svg: string;
}

/** Joules per inference per device: ANN twin (every connection once) against the SNN (measured rates). */
export function deviceChartSvg(comparison: TwinComparison): string {
  const ann = comparison.devices.map((d) => comparison.totals.energy[d.name].ann);
  const snn = comparison.devices.map((d) => comparison.totals.energy[d.name].snn);
  return barChartSvg({
    title: `Energy per inference (T = ${formatSignificant(comparison.timesteps)} steps)`,
    categories: comparison.devices.map((d) => d.name),
    series: [
      { name: "ANN twin", values: ann },
      { name: "SNN, measured rates", values: snn },
    ],
    yLabel: "J per inference",
    logScale: [...ann, ...snn].every((v) => v > 0),
  });
}

/** Operations per inference per layer (synops + neuron updates), ANN twin against SNN. */
export function layerChartSvg(comparison: TwinComparison): string {
  const rows = comparison.rows.filter((r) => r.annOps.synops + r.annOps.neuronUpdates > 0);
  const ann = rows.map((r) => r.annOps.synops + r.annOps.neuronUpdates);
  const snn = rows.map((r) => r.snnOps.synops + r.snnOps.neuronUpdates);
  return barChartSvg({
    title: "Operations per inference by layer",
    categories: rows.map((r) => r.name),
    series: [
      { name: "ANN twin", values: ann },
      { name: "SNN, measured rates", values: snn },
    ],
    yLabel: "synops + neuron updates",
    logScale: [...ann, ...snn].every((v) => v > 0),
  });
}

export interface MeasuredRun {
  measurement: EnergyMeasurement;
  /** What was run, e.g. "inference on the test split". */
  label: string;
  inferences?: number;
  epochs?: number;
}

/** The measured run as Markdown lines, always naming the method. */
export function measurementMarkdown(run: MeasuredRun): string {
  const m = run.measurement;
  const methodName = m.method === "rapl" ? "RAPL energy counters (measured)" : "CPU time x power per core (estimated)";
  const lines = [
    `- Run: ${run.label}`,
    `- Method: ${methodName}`,
    `- Energy: ${formatSignificant(m.joules)} J over ${formatSignificant(m.seconds)} s wall clock (${formatSignificant(m.cpuSeconds)} s CPU)`,
  ];
  if (run.inferences !== undefined) {
    const per = energyPerInference(m, run.inferences);
    lines.push(`- Per inference: ${formatSignificant(per.joules)} J (${formatCount(run.inferences)} inferences)`);
  }
  if (run.epochs !== undefined) {
    const per = energyPerEpoch(m, run.epochs);
    lines.push(`- Per epoch: ${formatSignificant(per.joules)} J (${formatCount(run.epochs)} epochs)`);
  }
  lines.push(`- Details: ${m.details}`);
  return lines.join("\n");
}

export interface EnergyReportInput {
  layers: readonly LayerDescription[];
  /** Measured input rates; without them only non-spiking devices can be estimated. */
  activity: LayerActivity | null;
  devices: readonly DeviceSpec[];
  dt?: number;
  timesteps?: number;
  measured?: MeasuredRun[];
  /** Prefix for chart file names; default "energy". */
  chartPrefix?: string;
  /** Heading level of the section title; default 2. */
  headingLevel?: number;
}

export interface EnergyReport {
  markdown: string;
  charts: ReportChart[];
  estimate: EnergyEstimate;
  comparison: TwinComparison | null;
}

/**
 * An energy section as a file of its own (energy.md): the research-software notice on top, then
 * what wrote it when `origin` is given, then the section.
 */
export function energyMarkdownFile(section: EnergyReport, origin?: string): string {
  return [`> ${RESEARCH_NOTICE}`, "", ...(origin ? [origin, ""] : []), section.markdown].join("\n");
}

/** True when spiking devices are priced from the activations of a network that has no spiking neurons. */
export function pricesActivationsAsSpikes(estimate: EnergyEstimate, devices: readonly DeviceSpec[]): boolean {
  return estimate.measuredRates && estimate.totals.spikingNeurons === 0 && devices.some((d) => d.spiking);
}

/** The complete "Energy" section of a run report: tables, chart links, caveats and the measured run. */
export function energyReportSection(input: EnergyReportInput): EnergyReport {
  const options = { devices: input.devices, dt: input.dt, timesteps: input.timesteps };
  const estimate = estimateEnergy(input.layers, input.activity, options);
  const comparison = input.activity ? compareWithAnnTwin(input.layers, input.activity, options) : null;
  const level = input.headingLevel ?? 2;
  const h = (n: number) => "#".repeat(Math.min(6, level + n));
  const prefix = input.chartPrefix ?? "energy";
  const charts: ReportChart[] = [];
  const out: string[] = [];

  out.push(`${h(0)} Energy per inference`, "");
  if (comparison) out.push(`**${spikeSavingSentence(comparison)}**`, "");
  out.push(
    "Estimated with the rules of KerasSpiking's ModelEnergy: on a non-spiking device every connection " +
      "and neuron is computed once per inference; on a spiking device a synaptic operation happens per " +
      "input spike (connections x measured input rate x dt x T) and every neuron updates each step" +
      (estimate.measuredRates
        ? ` (dt = ${formatSignificant(estimate.dt)} s, T = ${formatSignificant(estimate.timesteps)} steps). `
        : ". No input rates were measured, so only non-spiking devices are estimated. ") +
      "These are estimates of the computation only: data movement and other overheads are not counted." +
      (pricesActivationsAsSpikes(estimate, input.devices)
        ? " This network has no spiking neurons: the spiking devices' rows take its activations as spike rates " +
          "per step (as KerasSpiking does for a non-spiking model), so they price a rate-coded conversion with " +
          "the same activity, not spikes this network made."
        : ""),
    "",
  );
  out.push(`${h(1)} Totals per device`, "", deviceTotalsMarkdown(estimate), "");
  out.push(`Spiking neurons: ${formatCount(estimate.totals.spikingNeurons)}; connections: ${formatCount(estimate.totals.connections)}.`, "");
  out.push(`${h(1)} Per layer`, "", energyTableMarkdown(estimate), "");

  if (comparison) {
    const deviceChart = { fileName: `${prefix}-per-device.svg`, svg: deviceChartSvg(comparison) };
    const layerChart = { fileName: `${prefix}-per-layer.svg`, svg: layerChartSvg(comparison) };
    charts.push(deviceChart, layerChart);
    const cross = crossDeviceComparison(comparison);
    if (cross) {
      out.push(`${h(1)} SNN on spiking hardware against its ANN twin on conventional hardware`, "");
      out.push(
        `Each spiking device's SNN against the ANN twin on ${cross.twinDevice}, the conventional device where the twin costs least; ` +
          "the last column is the same-device ratio of the next table.",
        "",
      );
      out.push(crossDeviceMarkdown(cross), "");
    }
    out.push(`${h(1)} SNN against its ANN twin on the same device`, "");
    out.push(
      "The ANN twin has the same layers with rate activations and computes every connection once; the SNN " +
        "computes one synaptic operation per input spike but updates its neurons every step. Both are priced " +
        "with each device's per-operation costs; a ratio below 1 means the spikes save work there.",
      "",
    );
    out.push(twinDeviceMarkdown(comparison), "");
    out.push(twinComparisonMarkdown(comparison), "");
    out.push(`![Energy per inference per device](${deviceChart.fileName})`, "");
    out.push(`![Operations per inference per layer](${layerChart.fileName})`, "");
  }

  if (input.measured && input.measured.length > 0) {
    out.push(`${h(1)} Measured on this machine`, "");
    for (const run of input.measured) out.push(measurementMarkdown(run), "");
  }

  if (estimate.warnings.length > 0) {
    out.push(`${h(1)} Caveats`, "", ...estimate.warnings.map((w) => `- ${w}`), "");
  }
  out.push("Device constants (joules per operation) from:", "");
  const bySource = new Map<string, string[]>();
  for (const d of estimate.devices) {
    const source = d.source ?? "no source given";
    bySource.set(source, [...(bySource.get(source) ?? []), d.name]);
  }
  for (const [source, names] of bySource) out.push(`- ${names.join(", ")}: ${source}`);
  out.push("");
  return { markdown: out.join("\n"), charts, estimate, comparison };
}
