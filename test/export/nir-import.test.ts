import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { noGrad, Rng, SpikemedError, tensor, tidy, type Tensor } from "../../src/core/index.js";
import { exportNir, fromNirGraph, importNir, readNirFile, simulateSteps } from "../../src/export/index.js";
import type { NirFileGraph } from "../../src/export/nir-file.js";
import { buildNetwork, EulerNeuron, type Batch, type ModelConfig, type Network, type Recording } from "../../src/model/index.js";

// dist/test/export -> repository root is three levels up; the shared fixtures sit beside it.
const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/nir/", import.meta.url));
const noFixtures = existsSync(`${FIXTURES}README.md`) ? false : "../shared/fixtures/nir is absent: the graphs other frameworks wrote are not here";

const csv = (name: string): number[][] =>
  readFileSync(`${FIXTURES}01_lif__lif_${name}.csv`, "utf8").trim().split("\n").map((line) => line.split(",").map(Number));

/** 1-based steps at which a trace's spike column is set. */
const spikeSteps = (rows: number[][]): number[] => rows.flatMap((r, i) => (r[2] !== 0 ? [i + 1] : []));

function record(): Recording {
  return { spikes: new Map(), membrane: new Map() };
}

test("import: the NIR paper's LIF neuron (Norse's graph) follows the exact solution within the simulators' own spread, and Norse's trace", { skip: noFixtures }, async () => {
  const exact = csv("exact");
  const simulators = { norse: csv("norse"), rockpool: csv("rockpool"), lava: csv("lava_cpu_float") };
  const { network, config } = await importNir(`${FIXTURES}01_lif__lif_norse.nir`);
  assert.deepEqual(config.layers.map((l) => l.type), ["dense", "neuron"]);
  const input = exact.map((r) => r[0]);
  const recording = record();
  simulateSteps(network, tensor(input, [input.length, 1, 1]), { recording });
  const v = recording.membrane.get("lif1")!.data;
  const spikes = recording.spikes.get("lif1")!.data;
  const ours = exact.map((_, i) => [input[i], v[i], spikes[i]]);

  // The spread among the simulators that share the exact solution's voltage units (snnTorch scales its membrane by tau/dt = 25).
  const deviation = (rows: number[][]) => Math.max(...rows.map((r, i) => Math.abs(r[1] - exact[i][1])));
  const spread = Math.max(...Object.values(simulators).map(deviation));
  const oursDeviation = deviation(ours);
  assert.ok(oursDeviation <= spread, `membrane deviates from the exact solution by ${oursDeviation}, the simulators by up to ${spread}`);
  const exactSpikes = spikeSteps(exact);
  const spikeShift = (rows: number[][]) => Math.max(...spikeSteps(rows).map((s, k) => Math.abs(s - exactSpikes[k])));
  const spikeSpread = Math.max(...Object.values(simulators).map(spikeShift));
  assert.equal(spikeSteps(ours).length, exactSpikes.length);
  assert.ok(spikeShift(ours) <= spikeSpread, `spikes ${spikeSteps(ours)} against exact ${exactSpikes} (simulators within ${spikeSpread} steps)`);
  // Norse steps the same equation by forward Euler: the same trace to float32 rounding, the same spikes.
  assert.deepEqual(spikeSteps(ours), spikeSteps(simulators.norse));
  assert.ok(deviation(ours) > 1e-3, "forward Euler is not the exact solution: a test that cannot tell them apart proves nothing");
  for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(ours[i][1] - simulators.norse[i][1]) <= 1e-6, `step ${i + 1}: ${ours[i][1]} against Norse's ${simulators.norse[i][1]}`);
});

test("import: Rockpool's re-export of the LIF neuron (Linear 0.04 into r = 24.02) runs with its own gain", { skip: noFixtures }, async () => {
  const exact = csv("exact");
  const { network } = await importNir(`${FIXTURES}01_lif__lif_rockpool.nir`);
  const input = exact.map((r) => r[0]);
  const recording = record();
  simulateSteps(network, tensor(input, [input.length, 1, 1]), { recording });
  const v = recording.membrane.get("lif1")!.data;
  // The first input pulse, by hand: v = dt/tau * r * w * 1 = 0.04 * 24.0197 * 0.04.
  const first = input.indexOf(1);
  assert.ok(Math.abs(v[first] - 0.04 * 24.019737 * 0.04) < 1e-6, `${v[first]}`);
  // Its input gain is 0.961 of Norse's, so it fires as often but later: 4 spikes, each within 20 steps (2 ms) of the exact ones.
  const ours = spikeSteps(exact.map((_, i) => [0, 0, recording.spikes.get("lif1")!.data[i]]));
  const exactSpikes = spikeSteps(exact);
  assert.equal(ours.length, exactSpikes.length);
  ours.forEach((s, k) => assert.ok(s >= exactSpikes[k] && s - exactSpikes[k] <= 20, `spike ${s} against ${exactSpikes[k]}`));
});

/** Uniform [0, 1) draws thresholded at `p`: sparse binary events like a DVS camera's. */
function events(shape: number[], p: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform() < p ? 1 : 0;
  return out;
}

type Params = NirFileGraph["nodes"][number]["params"];

/** Plain-loop reference of the Sinabs CNN's layers in float64, from the file's own parameters (no spikemed op). */
function referenceCnn(graph: NirFileGraph, x: Float32Array, T: number): { spikes: Map<string, Float64Array[]>; margin: Map<string, Float64Array[]> } {
  const node = (name: string): Params => graph.nodes.find((n) => n.name === name)!.params;
  const conv = (p: Params, input: Float64Array, [c, h, w]: number[]): { out: Float64Array; shape: number[] } => {
    const [co, ci, k] = p.weight.shape;
    const s = p.stride.data[0];
    const pad = p.padding.data[0];
    const oh = Math.floor((h + 2 * pad - k) / s) + 1;
    const ow = Math.floor((w + 2 * pad - k) / s) + 1;
    assert.equal(ci, c);
    const out = new Float64Array(co * oh * ow);
    for (let o = 0; o < co; o++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
      let sum = p.bias.data[o];
      for (let i = 0; i < ci; i++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
        const iy = y * s - pad + ky;
        const ix = xx * s - pad + kx;
        if (iy >= 0 && iy < h && ix >= 0 && ix < w) sum += p.weight.data[((o * ci + i) * k + ky) * k + kx] * input[(i * h + iy) * w + ix];
      }
      out[(o * oh + y) * ow + xx] = sum;
    }
    return { out, shape: [co, oh, ow] };
  };
  const sumPool = (input: Float64Array, [c, h, w]: number[]) => {
    const out = new Float64Array(c * (h / 2) * (w / 2));
    for (let i = 0; i < c; i++) for (let y = 0; y < h / 2; y++) for (let xx = 0; xx < w / 2; xx++) {
      out[(i * (h / 2) + y) * (w / 2) + xx] = input[(i * h + 2 * y) * w + 2 * xx] + input[(i * h + 2 * y) * w + 2 * xx + 1] + input[(i * h + 2 * y + 1) * w + 2 * xx] + input[(i * h + 2 * y + 1) * w + 2 * xx + 1];
    }
    return { out, shape: [c, h / 2, w / 2] };
  };
  const affine = (p: Params, input: Float64Array) => {
    const [o, n] = p.weight.shape;
    const out = new Float64Array(o);
    for (let j = 0; j < o; j++) {
      let sum = p.bias.data[j];
      for (let i = 0; i < n; i++) sum += p.weight.data[j * n + i] * input[i];
      out[j] = sum;
    }
    return out;
  };
  const ifNames = ["1", "3", "6", "10", "12"];
  const state = new Map(ifNames.map((n) => [n, new Float64Array(node(n).r.data.length)]));
  const spikes = new Map(ifNames.map((n) => [n, [] as Float64Array[]]));
  const margin = new Map(ifNames.map((n) => [n, [] as Float64Array[]]));
  // NIR's IF: v += r*I each step; a spike where v > v_threshold, and v = v_reset (0 in these NIR 0.2 files) at once.
  const fire = (name: string, current: Float64Array): Float64Array => {
    const { r, v_threshold: th } = node(name);
    const v = state.get(name)!;
    const s = new Float64Array(v.length);
    const m = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      v[i] += r.data[i] * current[i];
      m[i] = v[i] - th.data[i];
      if (v[i] > th.data[i]) {
        s[i] = 1;
        v[i] = 0;
      }
    }
    spikes.get(name)!.push(s);
    margin.get(name)!.push(m);
    return s;
  };
  const frame = 2 * 34 * 34;
  for (let t = 0; t < T; t++) {
    let a = conv(node("0"), Float64Array.from(x.subarray(t * frame, (t + 1) * frame)), [2, 34, 34]);
    a = conv(node("2"), fire("1", a.out), a.shape);
    a = sumPool(fire("3", a.out), a.shape);
    a = conv(node("5"), a.out, a.shape);
    a = sumPool(fire("6", a.out), a.shape);
    fire("12", affine(node("11"), fire("10", affine(node("9"), a.out))));
  }
  return { spikes, margin };
}

test("import: the Sinabs CNN (Conv2d, IF, SumPool2d, Flatten, Affine) spikes as a plain-loop reference of its NIR graph", { skip: noFixtures }, async () => {
  const file = `${FIXTURES}02_cnn__cnn_sinabs.nir`;
  const { network, config } = await importNir(file);
  assert.deepEqual(config.inputShape, [2, 34, 34]);
  assert.equal(config.classes, 10);
  const T = 12;
  const x = events([T, 1, 2, 34, 34], 0.15, 5);
  const recording = record();
  const out = simulateSteps(network, tensor(x, [T, 1, 2, 34, 34]), { recording });
  assert.deepEqual(out.shape, [T, 1, 10]);
  const reference = referenceCnn(await readNirFile(file), x, T);
  const layers: [string, string][] = [["1", "if1"], ["3", "if2"], ["6", "if3"], ["10", "if4"], ["12", "if5"]];
  for (const [nirName, layer] of layers) {
    const ours = recording.spikes.get(layer)!.data;
    const theirs = reference.spikes.get(nirName)!;
    const margins = reference.margin.get(nirName)!;
    const n = theirs[0].length;
    let total = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < n; i++) {
        total += theirs[t][i];
        // float32 sums against float64 ones may part only on a membrane within 1e-4 of the threshold; after such a part, a layer's later steps are not compared.
        if (ours[t * n + i] !== theirs[t][i]) assert.ok(Math.abs(margins[t][i]) < 1e-4, `${layer} step ${t} neuron ${i}: ${ours[t * n + i]} against ${theirs[t][i]} (margin ${margins[t][i]})`);
      }
    }
    assert.ok(total > 0, `${layer}: the reference never fires, so the comparison would prove nothing`);
  }
});

/** snnTorch's training parameters of a Braille network (the fixture's JSON). */
function brailleParameters(name: string): { alpha_r: number; beta_r: number; alpha_out: number; beta_out: number } {
  return JSON.parse(readFileSync(`${FIXTURES}03_rnn__data__parameters_${name}.json`, "utf8"));
}

for (const [file, parameters] of [["braille_noDelay_bias_zero", "noDelay_bias_ref_zero"], ["braille_noDelay_noBias_subtract", "noDelay_noBias_ref_subtract"]]) {
  test(`import: snnTorch's recurrent CubaLIF network (${file}) runs as snnTorch's synaptic equations with its trained alpha and beta`, { skip: noFixtures }, async () => {
    const path = `${FIXTURES}03_rnn__${file}.nir`;
    const { network, config } = await importNir(path);
    assert.deepEqual(config.layers.map((l) => [l.type, (l as { recurrent?: string }).recurrent ?? null]), [["dense", null], ["neuron", file.includes("bias_zero") ? "affine" : "linear"], ["dense", null], ["neuron", null]]);
    const neurons = network.neuronLayers() as EulerNeuron[];
    const p = brailleParameters(parameters);
    // NIR's time constants at dt = 1e-4 s give back snnTorch's per-step decays (tau = dt/(1 - decay)).
    const decay = (tau: Float32Array) => 1 - 1e-4 / tau[0];
    assert.ok(Math.abs(decay(neurons[0].nir.tau_syn.data) - p.alpha_r) < 1e-6);
    assert.ok(Math.abs(decay(neurons[0].nir.tau_mem.data) - p.beta_r) < 1e-6);
    assert.ok(Math.abs(decay(neurons[1].nir.tau_syn.data) - p.alpha_out) < 1e-6);
    assert.ok(Math.abs(decay(neurons[1].nir.tau_mem.data) - p.beta_out) < 1e-6);

    const graph = await readNirFile(path);
    const param = (name: string, key: string) => graph.nodes.find((n) => n.name === name)!.params[key];
    const T = 60;
    const B = 2;
    const x = events([T, B, 12], 0.3, 9);
    const recording = record();
    const out = simulateSteps(network, tensor(x, [T, B, 12]), { recording });
    assert.deepEqual(out.shape, [T, B, 7]);
    // snnTorch's RSynaptic and Synaptic from the JSON's alpha and beta: syn = alpha*syn + W x (+ V s[t-1] + b), mem = beta*mem + syn,
    // with NIR's reset: a spike where mem > 1, and mem = 0 at once.
    const linear = (name: string, input: Float64Array) => {
      const w = param(name, "weight");
      const b = param(name, "bias");
      const [o, n] = w.shape;
      return Float64Array.from({ length: o }, (_, j) => {
        let s = b ? b.data[j] : 0;
        for (let i = 0; i < n; i++) s += w.data[j * n + i] * input[i];
        return s;
      });
    };
    for (let b = 0; b < B; b++) {
      const hidden = param("fc1", "weight").shape[0];
      const state = { syn1: new Float64Array(hidden), mem1: new Float64Array(hidden), s1: new Float64Array(hidden), syn2: new Float64Array(7), mem2: new Float64Array(7) };
      let compared = 0;
      let fired = 0;
      for (let t = 0; t < T; t++) {
        const input = Float64Array.from(x.subarray((t * B + b) * 12, (t * B + b + 1) * 12));
        const drive = linear("fc1", input);
        const feedback = linear("lif1.w_rec", state.s1);
        const s1 = new Float64Array(hidden);
        for (let i = 0; i < hidden; i++) {
          state.syn1[i] = p.alpha_r * state.syn1[i] + drive[i] + feedback[i];
          state.mem1[i] = p.beta_r * state.mem1[i] + state.syn1[i];
          if (state.mem1[i] > 1) {
            s1[i] = 1;
            state.mem1[i] = 0;
          }
        }
        state.s1 = s1;
        const drive2 = linear("fc2", s1);
        const ours1 = recording.spikes.get("cubalif1")!.data.subarray((t * B + b) * hidden, (t * B + b + 1) * hidden);
        const ours2 = recording.spikes.get("cubalif2")!.data.subarray((t * B + b) * 7, (t * B + b + 1) * 7);
        assert.deepEqual([...ours1], [...s1], `hidden spikes, sample ${b}, step ${t}`);
        for (let i = 0; i < 7; i++) {
          state.syn2[i] = p.alpha_out * state.syn2[i] + drive2[i];
          state.mem2[i] = p.beta_out * state.mem2[i] + state.syn2[i];
          const spike = state.mem2[i] > 1 ? 1 : 0;
          if (spike) state.mem2[i] = 0;
          assert.equal(ours2[i], spike, `output ${i}, sample ${b}, step ${t}`);
          fired += spike;
        }
        compared++;
        fired += s1.reduce((a, v) => a + v, 0);
      }
      assert.equal(compared, T);
      assert.ok(fired > 0, "the reference never fires, so the comparison would prove nothing");
    }
  });
}

/** A hand-made graph: nodes with parameters as the reader gives them. */
function graph(nodes: [string, string, Record<string, number[] | [number[], number[]]>][], edges: [string, string][]): NirFileGraph {
  const param = (v: number[] | [number[], number[]]) => (Array.isArray(v[0]) ? { shape: v[0] as number[], data: Float64Array.from(v[1] as number[]) } : { shape: [v.length], data: Float64Array.from(v as number[]) });
  return {
    version: "1.0.0", edges, metadata: {},
    nodes: nodes.map(([name, type, params]) => ({ name, type, params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, param(v)])) })),
  };
}

test("import refuses what spikemed cannot simulate, naming the node and where it sits", () => {
  const refused = (g: NirFileGraph, pattern: RegExp) => assert.throws(() => fromNirGraph(g), (e: unknown) => e instanceof SpikemedError && pattern.test(e.message), String(pattern));
  const io = (inner: [string, string, Record<string, number[] | [number[], number[]]>][], edges: [string, string][]) =>
    graph([["input", "Input", { shape: [4] }], ...inner, ["output", "Output", { shape: [4] }]], edges);
  refused(io([["a", "Affine", { weight: [[4, 4], Array(16).fill(0.1)], bias: Array(4).fill(0) }], ["m", "MaxPool2d", { kernel_size: [2, 2] }]],
    [["input", "a"], ["a", "m"], ["m", "output"]]), /node "m" \(MaxPool2d, 2 edges from the input, after "a"\) is a node type spikemed does not simulate/);
  refused(io([["d", "Delay", { delay: [1e-4, -1e-4, 0, 0] }]], [["input", "d"], ["d", "output"]]), /node "d" \(Delay.*has a negative delay/);
  refused(io([["g", "NIRGraph", {}]], [["input", "g"], ["g", "output"]]), /node "g" \(NIRGraph, 1 edge from the input, after "input"\) is a subgraph that was not flattened/);
  refused(io([["c", "Conv2d", { weight: [[1, 1, 3, 3], Array(9).fill(1)], dilation: [2, 2] }]], [["input", "c"], ["c", "output"]]), /node "c" \(Conv2d.*takes \[1, \.\.\.\] 2-d samples/);
  refused(io([["a", "Affine", { weight: [[4, 4], Array(16).fill(0.1)], bias: Array(4).fill(0) }], ["b", "Affine", { weight: [[4, 4], Array(16).fill(0.1)], bias: Array(4).fill(0) }]],
    [["input", "a"], ["a", "b"], ["b", "a"], ["b", "output"]]), /lies on a cycle .* that is not a neuron's recurrent/);
  refused(io([["l", "LIF", { tau: [-1], r: [1], v_leak: [0], v_threshold: [1] }]], [["input", "l"], ["l", "output"]]), /node "l" \(LIF.*has a tau that is not positive/);
  refused(io([["l", "LIF", { tau: [1, 1], r: [1], v_leak: [0], v_threshold: [1] }]], [["input", "l"], ["l", "output"]]), /has 2 values of tau for 4 neurons/);
  refused(io([["a", "Affine", { weight: [[3, 5], Array(15).fill(0.1)], bias: Array(3).fill(0) }]], [["input", "a"], ["a", "output"]]), /node "a" \(Affine.*takes 5 inputs but receives \[4\]/);
});

/** Raw class scores of a network at inference, with a fixed generator (rate encoding and spiking ReLUs draw from it). */
function scores(network: Network, x: Batch | Tensor): Float32Array {
  return noGrad(() => tidy(() => Float32Array.from(network.forward(x, { training: false, rng: new Rng(3) }).data)));
}

/** Every neuron layer's spikes and membrane trace on `x`, by layer name, as plain arrays. */
function traces(network: Network, x: Batch | Tensor): Record<string, number[]> {
  const recording = network.record(x, new Rng(3));
  const out: Record<string, number[]> = {};
  for (const [kind, map] of Object.entries(recording)) for (const [name, t] of map as Map<string, Tensor>) out[`${kind} ${name}`] = [...t.data];
  return out;
}

async function roundTrip(network: Network): Promise<{ imported: Network; graph: NirFileGraph }> {
  const dir = mkdtempSync(join(tmpdir(), "spikemed-nir-import-"));
  try {
    const file = join(dir, "net.nir");
    await exportNir(network, file);
    return { imported: (await importNir(file)).network, graph: await readNirFile(file) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Gives every parameter and buffer values drawn from `seed` (scaled to keep neurons firing), betas in (0.5, 1). */
function randomise(network: Network, seed: number): void {
  const rng = new Rng(seed);
  for (const p of [...network.parameters(), ...network.buffers()]) {
    for (let i = 0; i < p.tensor.size; i++) {
      const u = rng.uniform();
      p.tensor.data[i] = p.name.endsWith("beta") ? 0.5 + 0.5 * u : p.name.endsWith("runningVar") ? 0.5 + u : (u * 2 - 1) * (p.name.endsWith("weight") ? 1.5 : 0.3);
    }
  }
}

test("export -> import gives a network's outputs bit for bit: 1-d ECG-like net with features as a second Input, learnt betas, avg and sum pools, IF, synaptic", async () => {
  const config: ModelConfig = {
    name: "round-trip-ecg", description: "", inputShape: [1, 32], features: ["rr-pre", "rr-post", "amplitude"], classes: 3, timeSteps: 6,
    encoder: { kind: "direct" }, readout: "mean",
    layers: [
      { type: "conv1d", filters: 4, kernel: 3, padding: 1 }, { type: "lif", beta: 0.8, threshold: 0.5, learnBeta: true, learnThreshold: true },
      { type: "avgpool", kernel: 2 }, { type: "conv1d", filters: 4, kernel: 3, padding: "same" }, { type: "if", threshold: 0.7 }, { type: "sumpool", kernel: 2 },
      { type: "flatten" }, { type: "append-features" }, { type: "dropout", p: 0.5 }, { type: "dense", units: 8 }, { type: "synaptic", alpha: 0.6, beta: 0.85, threshold: 0.4 },
      { type: "dense", units: 3 },
    ],
  };
  const network = buildNetwork(config, 2);
  randomise(network, 11);
  const { imported, graph } = await roundTrip(network);
  assert.deepEqual(graph.nodes.filter((n) => n.type === "Input").map((n) => n.name).sort(), ["features", "input"]);
  assert.deepEqual(graph.edges.filter(([, to]) => to === "synaptic1").map(([from]) => from).sort(), ["dense1", "dense1.features"]);
  assert.deepEqual(imported.options.features, config.features);
  const x: Batch = {
    signal: tensor(Float32Array.from({ length: 5 * 32 }, (_, i) => Math.sin(i * 0.37) * 2), [5, 1, 32]),
    features: tensor(Float32Array.from({ length: 5 * 3 }, (_, i) => Math.cos(i * 0.9) + 0.5), [5, 3]),
  };
  const before = scores(network, x);
  const after = scores(imported, x);
  assert.ok(before.some((v, i) => v !== before[i % 3]), "the scores do not depend on the input: the comparison would prove little");
  assert.deepEqual(after, before);
  const recorded = traces(network, x);
  assert.deepEqual(traces(imported, x), recorded);
  for (const layer of ["lif1", "if1", "synaptic1.membrane"]) assert.ok(recorded[`spikes ${layer}`].some((s) => s !== 0), `${layer} never fires`);
});

test("export -> import gives a network's outputs bit for bit: 2-d net with rate encoding, spiking ReLU (IF + Scale), sum pool, residual sum, LIF reset zero, LI + Threshold", async () => {
  const config: ModelConfig = {
    name: "round-trip-image", description: "", inputShape: [2, 8, 8], classes: 3, timeSteps: 5, encoder: { kind: "rate", gain: 0.8 }, readout: "sum",
    layers: [
      { type: "conv2d", filters: 4, kernel: 3, padding: 1 }, { type: "spiking-relu", dt: 0.5 }, { type: "sumpool", kernel: 2 },
      { type: "residual", layers: [{ type: "conv2d", filters: 4, kernel: 3, padding: 1 }, { type: "lif", beta: 0.9, threshold: 0.5 }] },
      { type: "lif", beta: 0.7, reset: "zero", threshold: 0.6 }, { type: "avgpool", kernel: 2 }, { type: "flatten" },
      { type: "dense", units: 6 }, { type: "lif", beta: 0.85, reset: "none", threshold: 0.3 }, { type: "dense", units: 3 },
    ],
  };
  const network = buildNetwork(config, 4);
  randomise(network, 12);
  const { imported, graph } = await roundTrip(network);
  assert.deepEqual(graph.nodes.map((n) => n.type).sort(), ["Affine", "Affine", "AvgPool2d", "Conv2d", "Conv2d", "Flatten", "IF", "Input", "LI", "LIF", "LIF", "Output", "Scale", "SumPool2d", "Threshold"]);
  const x = tensor(Float32Array.from({ length: 4 * 128 }, (_, i) => (Math.cos(i * 0.91) + 1) / 2), [4, 2, 8, 8]);
  const before = scores(network, x);
  assert.deepEqual(scores(imported, x), before);
  assert.ok(new Set(before).size > 3, "the scores barely vary: the comparison would prove little");
  assert.deepEqual(traces(imported, x), traces(network, x));
});

test("export -> import of a network that reads only its features gives its outputs bit for bit", async () => {
  const config: ModelConfig = {
    name: "round-trip-features", description: "", inputShape: [1, 16], features: ["a", "b", "c", "d"], classes: 2, timeSteps: 4, encoder: { kind: "direct" }, readout: "mean",
    layers: [{ type: "features" }, { type: "dense", units: 6 }, { type: "lif", beta: 0.8, threshold: 0.4 }, { type: "dense", units: 2 }],
  };
  const network = buildNetwork(config, 8);
  randomise(network, 14);
  const { imported } = await roundTrip(network);
  assert.deepEqual(imported.layers.map((l) => l.constructor.name), ["SampleFeatures", "Dense", "Leaky", "Dense"]);
  const x: Batch = { signal: tensor(new Float32Array(3 * 16), [3, 1, 16]), features: tensor(Float32Array.from({ length: 3 * 4 }, (_, i) => Math.sin(i * 0.7) * 2), [3, 4]) };
  const before = scores(network, x);
  assert.ok(new Set(before).size > 2);
  assert.deepEqual(scores(imported, x), before);
});

test("import -> export -> import of the snnTorch Braille RNN and the Sinabs CNN gives their outputs bit for bit", { skip: noFixtures }, async () => {
  for (const [file, shape] of [["03_rnn__braille_noDelay_bias_zero.nir", [40, 2, 12]], ["02_cnn__cnn_sinabs.nir", [6, 1, 2, 34, 34]]] as const) {
    const { network } = await importNir(`${FIXTURES}${file}`);
    const { imported } = await roundTrip(network);
    const x = tensor(events([...shape], 0.3, 2), [...shape]);
    const before = simulateSteps(network, x).data.slice();
    assert.ok(before.some((v) => v !== 0), `${file}: no output spikes, the comparison would prove little`);
    assert.deepEqual(simulateSteps(imported, x).data, before, file);
  }
});

test("batch norm folded on export: the imported network's outputs equal the unfolded one's within float32 rounding", async () => {
  const config: ModelConfig = {
    name: "round-trip-bn", description: "", inputShape: [2, 16], classes: 3, timeSteps: 3, encoder: { kind: "direct" }, readout: "last",
    layers: [
      { type: "conv1d", filters: 4, kernel: 3, padding: 1 }, { type: "batchnorm" }, { type: "flatten" },
      { type: "dense", units: 5 }, { type: "batchnorm" }, { type: "dense", units: 3 }, { type: "lif", beta: 0.9, output: "membrane" },
    ],
  };
  const network = buildNetwork(config, 6);
  randomise(network, 13);
  const { imported, graph } = await roundTrip(network);
  assert.ok(!graph.nodes.some((n) => n.type.toLowerCase().includes("norm")));
  assert.equal(imported.buffers().length, 0, "the imported network has no batch-norm statistics: they are folded into the weights");
  const x = tensor(Float32Array.from({ length: 3 * 32 }, (_, i) => Math.sin(i * 1.3)), [3, 2, 16]);
  const before = scores(network, x);
  const after = scores(imported, x);
  let worst = 0;
  before.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - after[i]) / Math.max(1, Math.abs(v)))));
  assert.ok(worst < 1e-5, `folded outputs differ by ${worst} (relative)`);
  assert.ok(worst > 0 || before.every((v, i) => v === after[i]));
});

test("import refuses damaged spikemed metadata and weights that do not fill their layer, in one line each", async () => {
  const config: ModelConfig = {
    name: "damaged", description: "", inputShape: [4], classes: 2, timeSteps: 2, encoder: { kind: "direct" }, readout: "mean",
    layers: [{ type: "dense", units: 3 }, { type: "lif", beta: 0.9 }, { type: "dense", units: 2 }],
  };
  const dir = mkdtempSync(join(tmpdir(), "spikemed-nir-damaged-"));
  try {
    await exportNir(buildNetwork(config, 1), join(dir, "net.nir"));
    const good = await readNirFile(join(dir, "net.nir"));
    const refused = (change: (g: NirFileGraph) => void, pattern: RegExp) => {
      const g = structuredClone(good);
      change(g);
      assert.throws(() => fromNirGraph(g), (e: unknown) => e instanceof SpikemedError && pattern.test(e.message), String(pattern));
    };
    fromNirGraph(structuredClone(good));
    refused((g) => { g.metadata.spikemed_layers = "{"; }, /metadata "spikemed_layers" is not valid JSON/);
    refused((g) => { g.metadata.spikemed_layers = JSON.stringify({ lif1: { layer: null } }); }, /holds no layer config for node "lif1"/);
    refused((g) => { g.metadata.spikemed_layers = JSON.stringify({ lif1: { layer: { type: "lif", beta: 7 } } }); }, /the model the graph describes: layers\[1\]\.beta \(lif\): expected a decay from 0 to 1, got 7/);
    refused((g) => { g.metadata.spikemed_model = JSON.stringify({ features: [1] }); }, /lists features that are not names/);
    refused((g) => { g.nodes.find((n) => n.name === "dense1")!.params.bias.data = new Float64Array(4); }, /node "dense1" \(Affine.*has 4 biases for 3 outputs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("import: Scale and Threshold nodes of another framework's graph, by hand, and back through export bit for bit", async () => {
  const g = graph([
    ["input", "Input", { shape: [3] }], ["s", "Scale", { scale: [2, -1, 0.5] }], ["li", "LI", { tau: [2e-4], r: [2], v_leak: [0] }],
    ["t", "Threshold", { threshold: [1, 0, 0.6] }], ["output", "Output", { shape: [3] }],
  ], [["input", "s"], ["s", "li"], ["li", "t"], ["t", "output"]]);
  const { network, config } = fromNirGraph(g);
  assert.deepEqual(config.layers.map((l) => l.type), ["scale", "neuron", "threshold"]);
  // LI at dt = 1e-4, tau = 2e-4, r = 2: v += (2*I - v)/2, I = scaled input [2, -0.5, 2]: v = [2, -0.5, 2], then [2, -0.5, 2] again.
  const x = tensor([1, 0.5, 4, 1, 0.5, 4], [2, 1, 3]);
  assert.deepEqual([...simulateSteps(network, x).data], [1, 0, 1, 1, 0, 1]);
  const { imported } = await roundTrip(network);
  assert.deepEqual(simulateSteps(imported, x).data, simulateSteps(network, x).data);
});

test("import: a Delay node shifts each element by round(delay/dt) steps, and goes back through export bit for bit", async () => {
  const g = graph([["input", "Input", { shape: [2] }], ["d", "Delay", { delay: [2e-4, 0] }], ["output", "Output", { shape: [2] }]], [["input", "d"], ["d", "output"]]);
  const { network } = fromNirGraph(g, { dt: 1e-4 });
  const x = tensor([1, 10, 2, 20, 3, 30, 4, 40], [4, 1, 2]);
  assert.deepEqual([...simulateSteps(network, x).data], [0, 10, 0, 20, 1, 30, 2, 40]);
  const { imported } = await roundTrip(network);
  assert.deepEqual(simulateSteps(imported, x).data, simulateSteps(network, x).data);
});

test("import: snnTorch's recurrent layer as a NIR subgraph (Input, CubaLIF, Affine loop, Output) runs as the flat graph, bit for bit", { skip: noFixtures }, async () => {
  const h5wasm = (await import("h5wasm/node")).default;
  await h5wasm.ready;
  const flat = await readNirFile(`${FIXTURES}03_rnn__braille_noDelay_bias_zero.nir`);
  const dir = mkdtempSync(join(tmpdir(), "spikemed-nir-subgraph-"));
  try {
    const file = join(dir, "nested.nir");
    const h5 = new h5wasm.File(file, "w");
    h5.create_dataset({ name: "version", data: "1.0.0", dtype: "S" });
    type Group = ReturnType<typeof h5.create_group>;
    const graphGroup = (parent: Group | typeof h5, name: string, nodes: [string, NirFileGraph["nodes"][number]][], edges: [string, string][]) => {
      const g = parent.create_group(name);
      g.create_dataset({ name: "type", data: "NIRGraph", dtype: "S" });
      g.create_dataset({ name: "edges", data: edges.flat(), shape: [edges.length, 2], dtype: "S" });
      const group = g.create_group("nodes");
      for (const [key, n] of nodes) {
        if (n.type === "NIRGraph") continue;
        const ng = group.create_group(key);
        ng.create_dataset({ name: "type", data: n.type, dtype: "S" });
        for (const [p, v] of Object.entries(n.params)) ng.create_dataset({ name: p, data: Float32Array.from(v.data), shape: v.shape });
      }
      return group;
    };
    const byName = (name: string) => flat.nodes.find((n) => n.name === name)!;
    const port = (type: string): NirFileGraph["nodes"][number] => ({ name: type, type, params: { shape: { shape: [1], data: Float64Array.of(38) } } });
    const outer = graphGroup(h5, "node", [["input", byName("input")], ["fc1", byName("fc1")], ["fc2", byName("fc2")], ["lif2", byName("lif2")], ["output", byName("output")]],
      [["input", "fc1"], ["fc1", "lif1.input"], ["lif1", "fc2"], ["fc2", "lif2"], ["lif2", "output"]]);
    graphGroup(outer, "lif1", [["input", port("Input")], ["lif", byName("lif1.lif")], ["w_rec", byName("lif1.w_rec")], ["output", port("Output")]],
      [["input", "lif"], ["lif", "w_rec"], ["w_rec", "lif"], ["lif", "output"]]);
    h5.close();

    const nested = await importNir(file);
    const reference = await importNir(`${FIXTURES}03_rnn__braille_noDelay_bias_zero.nir`);
    assert.deepEqual(nested.config.layers, reference.config.layers);
    assert.deepEqual(nested.layers.map((l) => l.nodes), [["fc1"], ["lif1.lif", "lif1.w_rec"], ["fc2"], ["lif2"]]);
    const x = tensor(events([30, 2, 12], 0.3, 4), [30, 2, 12]);
    const expected = simulateSteps(reference.network, x).data.slice();
    assert.ok(expected.some((v) => v !== 0));
    assert.deepEqual(simulateSteps(nested.network, x).data, expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an imported recurrent network runs one time step at a time (Network.step) to the same outputs as the whole sequence", { skip: noFixtures }, async () => {
  const T = 25;
  const { network } = await importNir(`${FIXTURES}03_rnn__braille_noDelay_noBias_subtract.nir`, { timeSteps: T });
  const B = 2;
  const x = events([T, B, 12], 0.3, 21);
  const whole = simulateSteps(network, tensor(x, [T, B, 12])).data;
  assert.ok(whole.some((v) => v !== 0));
  let state = network.initialState();
  for (let t = 0; t < T; t++) {
    const stepped = noGrad(() => network.step(tensor(x.subarray(t * B * 12, (t + 1) * B * 12), [B, 12]), state));
    state = stepped.state;
    assert.deepEqual([...stepped.output.data], [...whole.subarray(t * B * 7, (t + 1) * B * 7)], `step ${t}`);
  }
});
