import { test } from "node:test";
import assert from "node:assert/strict";
import { backward, crossEntropy, getBackend, ReferenceBackend, Rng, setBackend, tensor, tidy } from "../../src/core/index.js";
import { createWasmBackend } from "../../src/core/backends/wasm/index.js";
import { buildNetwork, ecgSnn } from "../../src/model/index.js";
import { Adam, networkParams } from "../../src/train/index.js";

test("a long training run on the WebAssembly backend does not grow its memory", async () => {
  const backend = await createWasmBackend({ threads: 1 });
  setBackend(backend);
  try {
    const network = buildNetwork(ecgSnn(2, { morphologyOnly: true }), 1);
    const params = networkParams(network);
    const optimizer = new Adam(params, { lr: 1e-3 });
    const rng = new Rng(1);
    const x = Float32Array.from({ length: 4 * 256 }, () => rng.normal());
    const step = (): void => {
      for (const p of params) p.grad.fill(0);
      tidy(() => backward(crossEntropy(network.forward(tensor(x, [4, 1, 256]), { training: true, rng }), [0, 1, 2, 3])));
      optimizer.step();
    };
    for (let i = 0; i < 3; i++) step();
    const live = backend.liveAllocations;
    const bytes = backend.memoryBytes;
    for (let i = 0; i < 40; i++) step();
    assert.equal(backend.liveAllocations, live, "every step releases what it allocated");
    assert.equal(backend.memoryBytes, bytes, "memory does not grow");
    assert.equal(getBackend(), backend);
  } finally {
    setBackend(new ReferenceBackend());
    backend.dispose();
  }
});
