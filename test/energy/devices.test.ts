import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  builtinDevices,
  estimateEnergy,
  loadDeviceCatalog,
  parseDeviceFile,
  selectDevices,
} from "../../src/energy/index.js";
import { SpikemedError } from "../../src/core/errors.js";
import { kerasSpikingExampleNetwork } from "./networks.js";

function close(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-12 * Math.abs(expected);
}

test("built-in constants are KerasSpiking's published ones", () => {
  // [name, spiking, J per synop, J per neuron update] as listed in keras_spiking/model_energy.py.
  const published: [string, boolean, number, number][] = [
    ["cpu", false, 8.6e-9, 8.6e-9],
    ["gpu", false, 0.3e-9, 0.3e-9],
    ["arm", false, 0.9e-9, 0.9e-9],
    ["loihi", true, (23.6 + 3.5) * 1e-12, 81e-12],
    ["spinnaker", true, 13.3e-9, 26e-9],
    ["spinnaker2", true, 450e-12, 2.19e-9],
  ];
  const devices = builtinDevices();
  assert.deepEqual(devices.map((d) => d.name), published.map((p) => p[0]));
  for (const [name, spiking, synop, neuron] of published) {
    const d = devices.find((x) => x.name === name)!;
    assert.equal(d.spiking, spiking, name);
    assert.ok(close(d.energyPerSynop, synop), `${name} synop ${d.energyPerSynop}`);
    assert.ok(close(d.energyPerNeuronUpdate, neuron), `${name} neuron ${d.energyPerNeuronUpdate}`);
    assert.ok(d.source && d.source.length > 10, `${name} cites its source`);
  }
});

test("a user file adds and overrides devices; reproduces KerasSpiking's my-gpu example (cell 7)", () => {
  const dir = mkdtempSync(join(tmpdir(), "spikemed-devices-"));
  try {
    const file = join(dir, "my-devices.json");
    writeFileSync(
      file,
      JSON.stringify({
        devices: {
          "My-GPU": { spiking: false, energyPerSynop: 1e-9, energyPerNeuronUpdate: 2e-9, source: "KerasSpiking example" },
          cpu: { spiking: false, energyPerSynop: 1e-9, energyPerNeuronUpdate: 1e-9 },
        },
      }),
    );
    const catalog = loadDeviceCatalog([file]);
    assert.equal(catalog.get("cpu")!.energyPerSynop, 1e-9, "the user's cpu replaces the built-in one");
    assert.equal(catalog.get("loihi")!.spiking, true, "built-ins stay available");
    const devices = selectDevices(catalog, ["gpu", "MY-GPU"]);
    assert.deepEqual(devices.map((d) => d.name), ["gpu", "my-gpu"]);
    const e = estimateEnergy(kerasSpikingExampleNetwork(), null, { devices });
    // https://www.nengo.ai/keras-spiking/examples/model-energy.html, cell [7]
    const printed: Record<string, string> = { conv2d: "4.7e-05", re_lu: "1.9e-06", flatten: "0", dense: "0.00012", re_lu_1: "2.6e-07", dense_1: "1.3e-06" };
    for (const row of e.rows) assert.equal(Number(row.energy["my-gpu"].total.toPrecision(2)), Number(printed[row.name]), row.name);
    assert.equal(e.totals.energy["my-gpu"].total.toExponential(2), "1.75e-4");
    assert.equal(e.totals.energy.gpu.total.toExponential(2), "5.21e-5");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("invalid device files are rejected with the file and field named", () => {
  const bad = (content: unknown, pattern: RegExp) =>
    assert.throws(() => parseDeviceFile(content, "boards.json"), (e: unknown) => e instanceof SpikemedError && pattern.test(e.message));
  bad([], /boards\.json: field "\(top level\)" must be a JSON object/);
  bad({ device: {} }, /boards\.json: field "device" is not a known field/);
  bad({ devices: [] }, /boards\.json: field "devices" must be an object/);
  bad({ devices: { x: { spiking: "yes", energyPerSynop: 1, energyPerNeuronUpdate: 1 } } }, /field "devices\.x\.spiking" must be true or false/);
  bad({ devices: { x: { spiking: true, energyPerSynop: -1, energyPerNeuronUpdate: 1 } } }, /field "devices\.x\.energyPerSynop" must be a finite number/);
  bad({ devices: { x: { spiking: true, energyPerSynop: 1 } } }, /field "devices\.x\.energyPerNeuronUpdate" must be a finite number/);
  bad({ devices: { x: { spiking: true, energyPerSynop: 1, energyPerNeuronUpdate: 1, energyPerSynapse: 2 } } }, /"devices\.x\.energyPerSynapse" is not a known field/);
  bad({ devices: { "two words": { spiking: true, energyPerSynop: 1, energyPerNeuronUpdate: 1 } } }, /"devices\.two words" has an invalid device name/);

  const dir = mkdtempSync(join(tmpdir(), "spikemed-devices-"));
  try {
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ devices: ");
    assert.throws(() => loadDeviceCatalog([broken]), (e: unknown) => e instanceof SpikemedError && e.message.startsWith(`${broken}: not valid JSON`));
    const missing = join(dir, "missing.json");
    assert.throws(() => loadDeviceCatalog([missing]), new RegExp(`${missing.replace(/[.]/g, "\\.")}: cannot read device file \\(ENOENT\\)`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("selecting an unknown device names it and lists the known ones", () => {
  const catalog = loadDeviceCatalog();
  assert.throws(() => selectDevices(catalog, ["loihi", "tpu"]), /--devices: unknown device "tpu"[\s\S]*loihi/);
  assert.throws(() => selectDevices(catalog, []), /--devices: no device named/);
  assert.equal(selectDevices(catalog).length, 6);
});
