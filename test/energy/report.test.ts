import { test } from "node:test";
import assert from "node:assert/strict";
import {
  builtinDevices,
  crossDeviceComparison,
  energyReportSection,
  spikeSavingSentence,
  formatCount,
  formatSignificant,
  selectDevices,
  loadDeviceCatalog,
} from "../../src/energy/index.js";
import type { LayerActivity, LayerDescription } from "../../src/energy/index.js";

const layers: LayerDescription[] = [
  { name: "conv", type: "conv1d", inputShape: [1, 10], outputShape: [2, 8], kernelSize: [3] },
  { name: "lif|1", type: "neuron", inputShape: [2, 8], outputShape: [2, 8], spiking: true },
  { name: "flatten", type: "flatten", inputShape: [2, 8], outputShape: [16] },
  { name: "fc", type: "dense", inputShape: [16], outputShape: [4] },
];
// conv: 2*8 outputs x 3 taps x 1 channel = 48 connections; fc: 16 x 4 = 64.
const activity: LayerActivity = { inputRates: { conv: 0.5, "lif|1": 0.4, fc: 0.25 }, dt: 0.001, timesteps: 4 };

function tableRow(markdown: string, firstCell: string): string[] {
  const line = markdown.split("\n").find((l) => l.startsWith(`| ${firstCell} |`));
  assert.ok(line, `row ${firstCell}`);
  return line.slice(2, -2).split(/(?<!\\) \| /);
}

test("number formatting", () => {
  assert.equal(formatCount(1_760_133_648), "1,760,133,648");
  assert.equal(formatCount(96.5), "96.5");
  assert.equal(formatSignificant(15.1954), "15.2");
  assert.equal(formatSignificant(0.00408), "0.00408");
  assert.equal(formatSignificant(0.000408), "4.08e-4");
  assert.equal(formatSignificant(6.43e-9), "6.43e-9");
  assert.equal(formatSignificant(0), "0");
});

test("report section: per-layer table, device totals, twin comparison, charts and measured run", () => {
  const devices = selectDevices(loadDeviceCatalog(), ["loihi", "cpu"]);
  const report = energyReportSection({
    layers,
    activity,
    devices,
    measured: [
      {
        label: "inference on 400 test records",
        measurement: { joules: 8, seconds: 2, cpuSeconds: 1.6, method: "cpu-time", details: "process CPU time ..." },
        inferences: 400,
      },
    ],
  });
  const md = report.markdown;
  assert.match(md, /^## Energy per inference/);
  assert.match(md, /dt = 0\.001 s, T = 4 steps/);

  // conv: 48 connections, rate 0.5/step x 4 steps -> 96 synops; cpu 48 x 8.6e-9; loihi 96 x 27.1e-12.
  const conv = tableRow(md, "conv");
  assert.deepEqual(conv.slice(0, 8), ["conv", "conv1d", "2x8", "48", "0", "0.5", "96", "0"]);
  assert.equal(conv[8], formatSignificant(96 * 27.1e-12));
  assert.equal(conv[9], formatSignificant(48 * 8.6e-9));
  // The layer name's pipe is escaped so the table keeps its columns.
  const lif = tableRow(md, "lif\\|1");
  assert.deepEqual(lif.slice(1, 8), ["neuron (spiking)", "2x8", "0", "16", "0.4", "0", "64"]);

  // Device totals: loihi synops (96 + 64 x 0.25 x 4 = 160) x 27.1 pJ + 64 neuron updates x 81 pJ.
  const loihi = tableRow(md, "loihi");
  assert.equal(loihi[1], "spiking (event-based)");
  assert.equal(loihi[6], formatSignificant(160 * 27.1e-12 + 64 * 81e-12));
  const cpu = tableRow(md, "cpu");
  assert.equal(cpu[6], formatSignificant((48 + 64 + 16) * 8.6e-9));
  assert.match(md, /Spiking neurons: 16; connections: 112\./);

  // Twin comparison: fc ANN 64 synops, SNN 64 x 0.25 x 4 = 64; lif 16 updates once vs 4 steps x 16.
  const twin = md.split("### SNN against its ANN twin")[1];
  assert.deepEqual(tableRow(twin, "fc"), ["fc", "synops", "64", "64", "1x (same)"]);
  assert.deepEqual(tableRow(twin, "conv"), ["conv", "synops", "48", "96", "2x (costs more)"]);
  assert.deepEqual(tableRow(twin, "lif\\|1"), ["lif\\|1", "neuron updates", "16", "64", "4x (costs more)"]);
  // Per device: cpu ANN (48 + 64 + 16) x 8.6 nJ against SNN (96 + 64 + 64) x 8.6 nJ.
  const cpuTwin = tableRow(twin, "cpu");
  assert.equal(cpuTwin[2], formatSignificant(128 * 8.6e-9));
  assert.equal(cpuTwin[3], formatSignificant(224 * 8.6e-9));
  assert.equal(cpuTwin[4], "1.75x (costs more)");

  assert.match(md, /Method: CPU time x power per core \(estimated\)/);
  assert.match(md, /Per inference: 0\.02 J \(400 inferences\)/);
  assert.match(md, /!\[Energy per inference per device\]\(energy-per-device\.svg\)/);

  assert.deepEqual(report.charts.map((c) => c.fileName), ["energy-per-device.svg", "energy-per-layer.svg"]);
  for (const chart of report.charts) assert.match(chart.svg, /^<svg[\s\S]*<\/svg>\s*$/);
  assert.match(report.charts[0].svg, />loihi</);
  assert.match(report.charts[1].svg, />fc</);
});

test("without measured activity: non-spiking devices only, no comparison or charts", () => {
  const devices = builtinDevices().filter((d) => !d.spiking);
  const report = energyReportSection({ layers, activity: null, devices, headingLevel: 3 });
  assert.equal(report.comparison, null);
  assert.deepEqual(report.charts, []);
  assert.match(report.markdown, /^### Energy per inference/);
  assert.doesNotMatch(report.markdown, /ANN twin/);
  assert.match(report.markdown, /- cpu, gpu, arm: Degnan/);
  assert.match(report.markdown, /No input rates were measured/);
  assert.doesNotMatch(report.markdown, /spiking hw/);
  assert.deepEqual(tableRow(report.markdown, "fc"), ["fc", "dense", "4", "64", "0", "5.50e-7", "1.92e-8", "5.76e-8"]);
});

test("a network without spiking neurons: spiking devices are priced from its activations, and the section says so", () => {
  const relu = layers.map((l) => (l.type === "neuron" ? { ...l, spiking: false } : l));
  const both = energyReportSection({ layers: relu, activity, devices: builtinDevices() });
  assert.match(both.markdown, /Spiking neurons: 0;/);
  assert.match(both.markdown, /This network has no spiking neurons: the spiking devices' rows take its activations as spike rates/);
  // Priced as the spiking network with the same activity would be: 160 synops and 16 neurons updated in each of 4 steps.
  assert.equal(tableRow(both.markdown, "loihi")[6], formatSignificant(160 * 27.1e-12 + 64 * 81e-12));

  const conventionalOnly = energyReportSection({ layers: relu, activity, devices: builtinDevices().filter((d) => !d.spiking) });
  assert.doesNotMatch(conventionalOnly.markdown, /no spiking neurons/);
  const spiking = energyReportSection({ layers, activity, devices: builtinDevices() });
  assert.doesNotMatch(spiking.markdown, /no spiking neurons/);
});

test("the SNN on spiking hardware against the twin on its cheapest conventional device, and one sentence on whether the spikes save energy", () => {
  const devices = selectDevices(loadDeviceCatalog(), ["cpu", "loihi", "gpu", "spinnaker"]);
  const report = energyReportSection({ layers, activity, devices });
  const comparison = report.comparison!;
  // The twin: 112 connections and 16 neurons once; cheapest on gpu (128 x 0.3 nJ). The SNN: 160 synops, 64 updates.
  const loihiSnn = 160 * 27.1e-12 + 64 * 81e-12;
  const loihiTwin = 112 * 27.1e-12 + 16 * 81e-12;
  const cross = crossDeviceComparison(comparison)!;
  assert.equal(cross.twinDevice, "gpu");
  assert.ok(Math.abs(cross.twinJoules - 128 * 0.3e-9) < 1e-18);
  assert.deepEqual(cross.rows.map((r) => r.device), ["loihi", "spinnaker"]);
  assert.ok(Math.abs(cross.rows[0].sameDeviceRatio - loihiSnn / loihiTwin) < 1e-9);
  // 9.52e-9 J against 3.84e-8 J: cheaper than the twin's best, though 2.2x the twin's work on loihi's own prices.
  const sentence = spikeSavingSentence(comparison);
  assert.equal(sentence, `Only the chip saves energy, not the spikes: the SNN costs ${formatSignificant(loihiSnn)} J per inference on loihi, ` +
    `${formatSignificant(loihiSnn / (128 * 0.3e-9))}x its ANN twin on gpu (${formatSignificant(128 * 0.3e-9)} J, the twin's cheapest conventional device), ` +
    `but on loihi's own prices the SNN costs ${formatSignificant(loihiSnn / loihiTwin)}x the twin: its spikes and neuron updates are more operations than the twin's multiply-adds.`);
  // The sentence opens the section, before the tables.
  assert.ok(report.markdown.indexOf(sentence) < report.markdown.indexOf("### Totals per device"));
  const row = tableRow(report.markdown.split("### SNN on spiking hardware")[1], "loihi");
  assert.deepEqual(row.slice(1, 4), [formatSignificant(loihiSnn), formatSignificant(128 * 0.3e-9), `${formatSignificant(loihiSnn / (128 * 0.3e-9))}x (saves)`]);

  // Sparse enough to save work on loihi's own prices too; then so dense that even loihi costs more than the twin on gpu.
  const sparse = compareRates(0.01);
  assert.match(spikeSavingSentence(sparse), /^Yes, the spikes save energy: .* so the spikes save work as well as the chip\.$/);
  const dense = { devices: sparse.devices, totals: { energy: { gpu: { ann: 1e-9, snn: 2e-9 }, loihi: { ann: 1e-9, snn: 5e-9 } } } };
  assert.match(spikeSavingSentence(dense), /^No, the spikes do not save energy: the SNN costs 5\.00e-9 J per inference on loihi, 5x its ANN twin on gpu/);
  assert.match(spikeSavingSentence({ devices: selectDevices(loadDeviceCatalog(), ["loihi"]), totals: { energy: { loihi: { ann: 1, snn: 1 } } } }), /needs at least one spiking and one conventional device/);

  function compareRates(rate: number) {
    const quiet = { ...activity, inputRates: { conv: rate, "lif|1": rate, fc: rate }, timesteps: 1 };
    return energyReportSection({ layers, activity: quiet, devices: selectDevices(loadDeviceCatalog(), ["gpu", "loihi"]) }).comparison!;
  }
});
