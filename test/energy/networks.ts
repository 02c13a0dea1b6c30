import type { LayerDescription } from "../../src/energy/types.js";

/**
 * The X-ray paper's network: 256x256x1 input, 3x3 same-padding convolutions with 8, 64 and 128
 * filters each followed by a spiking activation, a 4x4 stride-2 valid max-pool after the second
 * (256 -> 127), then dense 128, 64, 8 (spiking) and dense 2.
 */
export function xrayNetwork(): LayerDescription[] {
  const layers: LayerDescription[] = [];
  const spikes = (name: string, shape: number[]) =>
    layers.push({ name, type: "neuron", inputShape: shape, outputShape: shape, spiking: true });
  const conv = (name: string, cin: number, cout: number, size: number) =>
    layers.push({
      name,
      type: "conv2d",
      inputShape: [cin, size, size],
      outputShape: [cout, size, size],
      kernelSize: [3, 3],
      inChannels: cin,
      outChannels: cout,
    });
  conv("conv1", 1, 8, 256);
  spikes("lif1", [8, 256, 256]);
  conv("conv2", 8, 64, 256);
  spikes("lif2", [64, 256, 256]);
  layers.push({ name: "pool", type: "maxpool", inputShape: [64, 256, 256], outputShape: [64, 127, 127] });
  conv("conv3", 64, 128, 127);
  spikes("lif3", [128, 127, 127]);
  layers.push({ name: "flatten", type: "flatten", inputShape: [128, 127, 127], outputShape: [128 * 127 * 127] });
  let features = 128 * 127 * 127;
  for (const [i, units] of [128, 64, 8].entries()) {
    layers.push({ name: `fc${i + 1}`, type: "dense", inputShape: [features], outputShape: [units] });
    spikes(`lif${i + 4}`, [units]);
    features = units;
  }
  layers.push({ name: "out", type: "dense", inputShape: [8], outputShape: [2] });
  return layers;
}

/**
 * The model of KerasSpiking's "Estimating model energy" example
 * (https://www.nengo.ai/keras-spiking/examples/model-energy.html): 28x28x1 input, Conv2D with
 * 2 filters 7x7 (valid), ReLU, Flatten, Dense 128, ReLU, Dense 10. Channels first here.
 */
export function kerasSpikingExampleNetwork(): LayerDescription[] {
  return [
    { name: "conv2d", type: "conv2d", inputShape: [1, 28, 28], outputShape: [2, 22, 22], kernelSize: [7, 7] },
    { name: "re_lu", type: "neuron", inputShape: [2, 22, 22], outputShape: [2, 22, 22], spiking: false },
    { name: "flatten", type: "flatten", inputShape: [2, 22, 22], outputShape: [968] },
    { name: "dense", type: "dense", inputShape: [968], outputShape: [128] },
    { name: "re_lu_1", type: "neuron", inputShape: [128], outputShape: [128], spiking: false },
    { name: "dense_1", type: "dense", inputShape: [128], outputShape: [10] },
  ];
}
