// Event-driven against dense kernels at inference: the ECG net's second convolution and first
// dense layer (T = 8 x 256 beats) on random spikes of several densities, then the whole network
// on 256 real beats. Wall-clock medians, the two paths interleaved so that both see the same load.
//   node dist/bench/spike-kernels.js [--threads=1] [--reps=9]
import { cpus, loadavg } from "node:os";
import * as ops from "../src/core/index.js";
import { noGrad, Rng, tensor, useFastBackend, type Tensor } from "../src/core/index.js";
import { loadBeatDataset } from "../src/data/ecg/dataset.js";
import { beatData } from "../src/experiment/index.js";
import { inputBatch } from "../src/train/index.js";
import { buildNetwork, Conv1d, Dense, ecgSnn } from "../src/model/index.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const threads = Number(args.get("threads") ?? 1);
const reps = Number(args.get("reps") ?? 9);
await useFastBackend({ threads });
const rng = new Rng(1);

/** Median milliseconds of each of the two runs, alternated `reps` times after one warm-up each. */
function compare(dense: () => Tensor, eventDriven: () => Tensor): [number, number] {
  const times: [number[], number[]] = [[], []];
  for (let r = 0; r <= reps; r++) {
    [dense, eventDriven].forEach((run, i) => {
      const t0 = performance.now();
      const y = run();
      if (r > 0) times[i].push(performance.now() - t0);
      (y.base ?? y).dispose();
    });
  }
  const median = (t: number[]): number => t.sort((a, b) => a - b)[t.length >> 1];
  return [median(times[0]), median(times[1])];
}

const random = (shape: number[], scale: number): Tensor =>
  tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (2 * rng.uniform() - 1) * scale), shape);
const spikes = (shape: number[], density: number): Tensor =>
  tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.uniform() < density ? 1 : 0)), shape);

const rows = 8 * 256;
const convWeight = random([64, 32, 5], 0.08), convBias = random([64], 0.08);
const denseWeight = random([128, 4096], 0.016), denseBias = random([128], 0.016);
const row = (cells: (string | number)[]): string => `| ${cells.join(" | ")} |`;
const ms = (v: number): string => v.toFixed(1);
const lines = [
  `# Event-driven inference, ${threads} thread(s)`, "",
  `${cpus()[0].model}, ${cpus().length} cores, Node ${process.version}, load average ${loadavg().map((v) => v.toFixed(2)).join(" ")}; medians of ${reps}.`, "",
  row(["layer (batch 8 x 256)", "spike density", "dense (ms)", "event-driven (ms)", "speed-up"]), row([":---", "---:", "---:", "---:", "---:"]),
];
noGrad(() => {
  for (const density of [0.05, 0.15, 0.3]) {
    const x = spikes([rows, 32, 128], density);
    const [d, e] = compare(() => ops.conv1d(x, convWeight, convBias, { padding: 2 }), () => ops.sparseConv1d(x, convWeight, convBias, { padding: 2 }));
    lines.push(row(["conv2: Conv1d 32 -> 64, k5, L 128", density, ms(d), ms(e), `${(d / e).toFixed(2)}x`]));
    x.dispose();
  }
  for (const density of [0.05, 0.15, 0.3]) {
    const x = spikes([rows, 4096], density);
    const [d, e] = compare(() => ops.linear(x, denseWeight, denseBias), () => ops.sparseLinear(x, denseWeight, denseBias));
    lines.push(row(["dense1: Dense 4096 -> 128", density, ms(d), ms(e), `${(d / e).toFixed(2)}x`]));
    x.dispose();
  }
});

// The whole default ECG network (untrained, seed 1) on the first 256 beats of the bundled sample.
const data = loadBeatDataset({ useCache: false });
const config = ecgSnn(8);
const net = buildNetwork(config, 1);
const beats = inputBatch(beatData(data, config.features), Int32Array.from({ length: 256 }, (_, i) => i));
const eventDriven = (on: boolean): void => {
  for (const layer of net.layers) if (layer instanceof Conv1d || layer instanceof Dense) layer.eventDriven = on;
};
const rates = net.measureInputRates([beats]).inputRates;
const predictWith = (on: boolean) => (): Tensor => {
  eventDriven(on);
  return net.predict(beats);
};
const [d, e] = compare(predictWith(false), predictWith(true));
lines.push("", row(["network (256 beats, T = 8)", "input spike density of conv2 / dense1", "dense (ms)", "event-driven (ms)", "speed-up"]),
  row([":---", "---:", "---:", "---:", "---:"]),
  row([`${config.name}: predict()`, `${rates.conv2.toFixed(3)} / ${rates.dense1.toFixed(3)}`, ms(d), ms(e), `${(d / e).toFixed(2)}x`]));
console.log(lines.join("\n"));
