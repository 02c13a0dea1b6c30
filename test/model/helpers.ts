import { after, before } from "node:test";
import { getBackend, setBackend, type Backend } from "../../src/core/index.js";
import { createWasmBackend, type WasmBackend } from "../../src/core/backends/wasm/index.js";
import { loadBeatDataset } from "../../src/data/ecg/dataset.js";
import { beatData } from "../../src/experiment/index.js";
import { ecgSnn, type Batch } from "../../src/model/index.js";
import { inputBatch } from "../../src/train/index.js";

/** Makes the 2-thread WebAssembly backend the active one while this test file runs. */
export function useFastBackend(): void {
  let fast: WasmBackend;
  let previous: Backend;
  before(async () => {
    previous = getBackend();
    fast = await createWasmBackend({ threads: 2 });
    setBackend(fast);
  });
  after(async () => {
    setBackend(previous);
    await fast.dispose();
  });
}

/** fn's result with `backend` as the active backend while it runs. */
export function onBackend<T>(backend: Backend, fn: () => T): T {
  const previous = getBackend();
  setBackend(backend);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}

type KernelName = { [K in keyof Backend]: Backend[K] extends (...args: never[]) => void ? K : never }[keyof Backend];

/** Calls of the named kernels of the active backend while fn runs. */
export function countKernelCalls<K extends KernelName>(kernels: readonly K[], fn: () => void): Record<K, number> {
  const backend = getBackend() as unknown as Record<K, (...args: unknown[]) => void>;
  const calls = Object.fromEntries(kernels.map((k) => [k, 0])) as Record<K, number>;
  const originals = kernels.map((k) => [k, backend[k]] as const);
  for (const [k, original] of originals) {
    backend[k] = (...args: unknown[]) => {
      calls[k]++;
      original.apply(backend, args);
    };
  }
  try {
    fn();
  } finally {
    for (const [k, original] of originals) backend[k] = original;
  }
  return calls;
}

/** The first n beats of the embedded MIT-BIH sample as one input batch of the ECG network (windows, and features beside them). */
export function sampleBeatBatch(n: number): Batch {
  return inputBatch(beatData(loadBeatDataset({ useCache: false }), ecgSnn().features), Int32Array.from({ length: n }, (_, i) => i));
}
