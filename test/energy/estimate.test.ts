import { test } from "node:test";
import assert from "node:assert/strict";
import { builtinDevices, compareWithAnnTwin, estimateEnergy, layerStats } from "../../src/energy/index.js";
import type { DeviceSpec, LayerActivity, LayerDescription } from "../../src/energy/index.js";
import { SpikemedError } from "../../src/core/errors.js";
import { kerasSpikingExampleNetwork, xrayNetwork } from "./networks.js";

function device(name: string): DeviceSpec {
  const spec = builtinDevices().find((d) => d.name === name);
  assert.ok(spec, `built-in device ${name}`);
  return spec;
}

/** Same value as KerasSpiking's printed ".2g" cell once ours is rounded to 2 significant digits. */
function assertPrinted2g(actual: number, printed: string, what: string): void {
  assert.equal(Number(actual.toPrecision(2)), Number(printed), `${what}: ${actual} vs printed ${printed}`);
}

/** Same value as KerasSpiking's printed "0.2e" total. */
function assertPrintedTotal(actual: number, printed: string, what: string): void {
  assert.equal(actual.toExponential(2), Number(printed).toExponential(2), `${what}: ${actual} vs printed ${printed}`);
}

test("X-ray network: 6,783,304 spiking neurons, ~1.76e9 connections, ~15.2 J on cpu and ~0.53 J on gpu", () => {
  const estimate = estimateEnergy(xrayNetwork(), null, { devices: [device("cpu"), device("gpu")] });
  assert.equal(estimate.totals.spikingNeurons, 6_783_304);
  // By hand: conv1 256*256*8*9*1 + conv2 256*256*64*9*8 + conv3 127*127*128*9*64
  // + fc1 (128*127*127)*128 + 128*64 + 64*8 + 8*2.
  const expectedConnections = 4_718_592 + 301_989_888 + 1_189_158_912 + 264_257_536 + 8192 + 512 + 16;
  assert.equal(estimate.totals.connections, expectedConnections);
  assert.equal(Number(estimate.totals.connections.toPrecision(3)), 1.76e9);
  const cpu = estimate.totals.energy.cpu.total;
  const gpu = estimate.totals.energy.gpu.total;
  assert.ok(Math.abs(cpu - (expectedConnections + 6_783_304) * 8.6e-9) < 1e-9);
  assert.equal(Number(cpu.toPrecision(3)), 15.2);
  assert.equal(Number(gpu.toPrecision(2)), 0.53);
  const pool = estimate.rows.find((r) => r.name === "pool")!;
  assert.deepEqual([pool.connections, pool.neurons, pool.energy.cpu.total], [0, 0, 0]);
  assert.deepEqual(estimate.warnings, []);
});

// KerasSpiking "Estimating model energy" example (docs/examples/model-energy.ipynb, rendered at
// https://www.nengo.ai/keras-spiking/examples/model-energy.html), KerasSpiking 0.3.1.dev0.
test("reproduces KerasSpiking's example: cpu and gpu per layer and totals (cells 3-4, 7)", () => {
  const estimate = estimateEnergy(kerasSpikingExampleNetwork(), null, { devices: [device("cpu"), device("gpu")] });
  const byName = Object.fromEntries(estimate.rows.map((r) => [r.name, r]));
  assert.equal(byName.conv2d.connections, 47_432);
  assert.equal(byName.re_lu.neurons, 968);
  assert.equal(byName.dense.connections, 123_904);
  assert.equal(byName.re_lu_1.neurons, 128);
  assert.equal(byName.dense_1.connections, 1_280);
  const printedCpu: Record<string, string> = { conv2d: "0.00041", re_lu: "8.3e-06", flatten: "0", dense: "0.0011", re_lu_1: "1.1e-06", dense_1: "1.1e-05" };
  const printedGpu: Record<string, string> = { conv2d: "1.4e-05", re_lu: "2.9e-07", flatten: "0", dense: "3.7e-05", re_lu_1: "3.8e-08", dense_1: "3.8e-07" };
  for (const [name, printed] of Object.entries(printedCpu)) assertPrinted2g(byName[name].energy.cpu.total, printed, `cpu ${name}`);
  for (const [name, printed] of Object.entries(printedGpu)) assertPrinted2g(byName[name].energy.gpu.total, printed, `gpu ${name}`);
  assertPrintedTotal(estimate.totals.energy.cpu.total, "1.49e-03", "cpu total");
  assertPrintedTotal(estimate.totals.energy.gpu.total, "5.21e-05", "gpu total");
});

test("reproduces KerasSpiking's example on loihi with measured rates, T and device dt (cells 5, 6, 8-11)", () => {
  const layers = kerasSpikingExampleNetwork();
  // KerasSpiking prints input rates in Hz at its default dt of 1 ms; ours are per step.
  const measuredDt = 0.001;
  const fromHz = (rates: Record<string, number>): LayerActivity => ({
    inputRates: Object.fromEntries(Object.entries(rates).map(([k, hz]) => [k, hz * measuredDt])),
    dt: measuredDt,
    timesteps: 1,
  });
  // The rates are printed to two digits (dense: 0.28 and 1.4); the dense energies printed in cell 6
  // (4.7e-09 J for 5 x ones) and cell 13 (9.5e-09 J for ones at T = 10) pin it to 0.2815-0.2829 Hz
  // for ones, hence 0.2822; likewise dense_1 (printed 0.2) is pinned to 0.2004-0.2032 by cells 11
  // and 13 (7e-11 J), hence 0.2015. The untrained model has
  // zero biases and ReLUs, so five times the input gives exactly five times every rate.
  const onesRates = { conv2d: 1, re_lu: 0.5, flatten: 0.2822, dense: 0.2822, re_lu_1: 0.36, dense_1: 0.2015 };
  const onesInput = fromHz(onesRates);
  const fiveInput = fromHz(Object.fromEntries(Object.entries(onesRates).map(([k, hz]) => [k, 5 * hz])));
  const loihi = device("loihi");

  // Cell 5: example_data = ones, T = 1: synop energy of conv2d and neuron energy of the ReLUs.
  let e = estimateEnergy(layers, onesInput, { devices: [loihi, device("cpu")] });
  let rows = Object.fromEntries(e.rows.map((r) => [r.name, r]));
  assertPrinted2g(rows.conv2d.energy.loihi.synop, "1.3e-09", "cell 5 conv2d synop loihi");
  assertPrinted2g(rows.re_lu.energy.loihi.neuron, "7.8e-08", "cell 5 re_lu neuron loihi");
  assertPrinted2g(rows.re_lu_1.energy.loihi.neuron, "1e-08", "cell 5 re_lu_1 neuron loihi");
  assertPrinted2g(rows.dense.energy.cpu.synop, "0.0011", "cell 5 dense synop cpu");

  // Cell 6: example_data = 5 * ones: synops scale with the rate, neurons do not.
  e = estimateEnergy(layers, fiveInput, { devices: [loihi] });
  rows = Object.fromEntries(e.rows.map((r) => [r.name, r]));
  assertPrinted2g(rows.conv2d.energy.loihi.synop, "6.4e-09", "cell 6 conv2d");
  assertPrinted2g(rows.dense.energy.loihi.synop, "4.7e-09", "cell 6 dense");
  assertPrinted2g(rows.dense_1.energy.loihi.synop, "3.5e-11", "cell 6 dense_1");
  assertPrinted2g(rows.re_lu.energy.loihi.neuron, "7.8e-08", "cell 6 re_lu");

  // Cells 8 and 9: 10 and 20 timesteps per inference.
  e = estimateEnergy(layers, fiveInput, { devices: [loihi, device("cpu")], timesteps: 10 });
  assertPrintedTotal(e.totals.energy.loihi.total, "1.00e-06", "cell 8 loihi total");
  assertPrintedTotal(e.totals.energy.cpu.total, "1.49e-03", "cell 8 cpu total (independent of T)");
  rows = Object.fromEntries(e.rows.map((r) => [r.name, r]));
  assertPrinted2g(rows.conv2d.energy.loihi.total, "6.4e-08", "cell 8 conv2d");
  assertPrinted2g(rows.re_lu.energy.loihi.total, "7.8e-07", "cell 8 re_lu");
  e = estimateEnergy(layers, fiveInput, { devices: [loihi], timesteps: 20 });
  assertPrintedTotal(e.totals.energy.loihi.total, "2.00e-06", "cell 9 loihi total");

  // Cells 10 and 11: device dt 1 ms and 2 ms (rates stay in Hz, synops double, neurons do not).
  e = estimateEnergy(layers, fiveInput, { devices: [loihi], dt: 0.001 });
  assertPrintedTotal(e.totals.energy.loihi.total, "1.00e-07", "cell 10 loihi total");
  e = estimateEnergy(layers, fiveInput, { devices: [loihi], dt: 0.002 });
  assertPrintedTotal(e.totals.energy.loihi.total, "1.11e-07", "cell 11 loihi total");
  rows = Object.fromEntries(e.rows.map((r) => [r.name, r]));
  assertPrinted2g(rows.dense_1.energy.loihi.total, "7e-11", "cell 11 dense_1");

  // Cell 13: example_data = ones, T = 10.
  e = estimateEnergy(layers, onesInput, { devices: [loihi], timesteps: 10 });
  assertPrintedTotal(e.totals.energy.loihi.total, "9.10e-07", "cell 13 loihi total");
});

test("KerasSpiking docstring example: Dense(128, relu) on 784 inputs", () => {
  const layers: LayerDescription[] = [
    { name: "dense_2", type: "dense", inputShape: [784], outputShape: [128] },
    { name: "relu", type: "neuron", inputShape: [128], outputShape: [128], spiking: false },
  ];
  const myCpu: DeviceSpec = { name: "my-cpu", spiking: false, energyPerSynop: 1e-10, energyPerNeuronUpdate: 2e-9 };
  const e = estimateEnergy(layers, null, { devices: [device("cpu"), myCpu] });
  assert.equal(e.totals.connections, 100_352);
  assert.equal(e.totals.neurons, 128);
  assert.equal(e.totals.spikingNeurons, 0);
  assertPrintedTotal(e.totals.energy.cpu.total, "8.64e-04", "cpu");
  assertPrintedTotal(e.totals.energy["my-cpu"].total, "1.03e-05", "my-cpu");
});

test("layer statistics: conv1d, dense over positions, zero-cost layers, unknown layers warn", () => {
  assert.deepEqual(
    layerStats({ name: "c", type: "conv1d", inputShape: [4, 100], outputShape: [16, 98], kernelSize: [3] }),
    { connections: 16 * 98 * 3 * 4, neurons: 0, spiking: true },
  );
  // A dense layer applied at each of 10 sequence positions.
  assert.equal(
    layerStats({ name: "d", type: "dense", inputShape: [10, 32], outputShape: [10, 5], inChannels: 32, outChannels: 5 }).connections,
    10 * 32 * 5,
  );
  for (const type of ["maxpool", "avgpool", "flatten", "dropout", "batchnorm"] as const) {
    assert.deepEqual(layerStats({ name: type, type, inputShape: [4, 8], outputShape: [4, 4] }), { connections: 0, neurons: 0, spiking: true });
  }
  const lstm = estimateEnergy(
    [{ name: "rnn", type: "lstm", inputShape: [10, 4], outputShape: [10, 8] }],
    null,
    { devices: [device("cpu")] },
  );
  assert.equal(lstm.totals.energy.cpu.total, 0);
  assert.match(lstm.warnings.join("\n"), /rnn.*counted as zero/);
});

test("twin comparison: hand-computed dense layer and neurons", () => {
  const layers: LayerDescription[] = [
    { name: "fc", type: "dense", inputShape: [100], outputShape: [10] },
    { name: "lif", type: "neuron", inputShape: [10], outputShape: [10], spiking: true },
  ];
  const activity: LayerActivity = { inputRates: { fc: 0.05, lif: 0.3 }, dt: 0.001, timesteps: 8 };
  const unit: DeviceSpec = { name: "unit", spiking: true, energyPerSynop: 1, energyPerNeuronUpdate: 10 };
  const c = compareWithAnnTwin(layers, activity, { devices: [unit] });
  const fc = c.rows[0];
  assert.deepEqual(fc.annOps, { synops: 1000, neuronUpdates: 0 });
  // 1000 connections x 0.05 spikes per step x 8 steps
  assert.ok(Math.abs(fc.snnOps.synops - 400) < 1e-9);
  assert.deepEqual(c.rows[1].annOps, { synops: 0, neuronUpdates: 10 });
  assert.deepEqual(c.rows[1].snnOps, { synops: 0, neuronUpdates: 80 });
  assert.ok(Math.abs(c.totals.energy.unit.ann - (1000 + 100)) < 1e-9);
  assert.ok(Math.abs(c.totals.energy.unit.snn - (400 + 800)) < 1e-9);
  // The estimate agrees: a spiking device is priced like the SNN, a non-spiking one like the twin.
  const e = estimateEnergy(layers, activity, { devices: [unit, { ...unit, name: "dense-unit", spiking: false }] });
  assert.ok(Math.abs(e.totals.energy.unit.total - 1200) < 1e-9);
  assert.ok(Math.abs(e.totals.energy["dense-unit"].total - 1100) < 1e-9);
});

test("bad input gives SpikemedErrors naming the layer or option", () => {
  const cpu = device("cpu");
  const loihi = device("loihi");
  const net = kerasSpikingExampleNetwork();
  assert.throws(() => estimateEnergy(net, null, { devices: [loihi] }), (e: unknown) => e instanceof SpikemedError && /loihi.*rates/.test(e.message));
  assert.throws(
    () => estimateEnergy(net, { inputRates: { conv2d: 0.001 }, dt: 0.001, timesteps: 1 }, { devices: [loihi] }),
    /layer "dense".*no measured input rate/,
  );
  assert.throws(
    () => estimateEnergy(net, { inputRates: { conv2d: Number.NaN, dense: 0, dense_1: 0 }, dt: 0.001, timesteps: 1 }, { devices: [loihi] }),
    /layer "conv2d".*finite number/,
  );
  assert.throws(() => estimateEnergy([...net, net[0]], null, { devices: [cpu] }), /"conv2d".*used twice/);
  assert.throws(
    () => estimateEnergy([{ name: "c", type: "conv2d", inputShape: [1, 8, 8], outputShape: [2, 6, 6], kernelSize: [3] }], null, { devices: [cpu] }),
    /layer "c".*kernelSize must list 2/,
  );
  assert.throws(
    () => estimateEnergy([{ name: "act", type: "neuron", inputShape: [4], outputShape: [4] }], null, { devices: [cpu] }),
    /layer "act".*spiking must be true/,
  );
  assert.throws(
    () => estimateEnergy([{ name: "d", type: "dense", inputShape: [4], outputShape: [0] }], null, { devices: [cpu] }),
    /layer "d".*outputShape/,
  );
  assert.throws(() => estimateEnergy(net, null, { devices: [cpu], timesteps: 0 }), /timesteps must be a positive number/);
  assert.throws(() => estimateEnergy(net, null, { devices: [] }), /no device chosen/);
});
