// The job layouts of kernel-interface.ts, which tsc and asc both compile: every kernel's slots
// (with the blocks it shares with others) are distinct, past slot 0 (the kernel id) and inside
// the job block, so no argument overwrites another whatever the enums' order.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as abi from "../../../src/core/backends/wasm/kernel-interface.js";

/** The slots of each kernel's job: the argument enums it writes, in the order the host writes them. */
const LAYOUTS: Record<string, object[]> = {
  Gemm: [abi.GemmArg],
  ConvForward: [abi.ConvForwardArg, abi.ConvGeometryArg],
  ConvBackwardInput: [abi.ConvBackwardInputArg, abi.ConvGeometryArg],
  ConvBackwardWeight: [abi.ConvBackwardWeightArg, abi.ConvGeometryArg],
  ReduceGroups: [abi.ReduceGroupsArg],
  SparseConv: [abi.SparseConvArg, abi.ConvGeometryArg],
  SparseConvLif: [abi.SparseConvArg, abi.ConvGeometryArg, abi.SparseConvLifArg],
  SparseLinear: [abi.SparseLinearArg],
  Transpose: [abi.TransposeArg],
  Pool: [abi.PoolArg],
  Unary: [abi.UnaryArg],
  UnaryBackward: [abi.UnaryBackwardArg],
  Binary: [abi.BinaryArg],
  Affine: [abi.AffineArg],
  Accumulate: [abi.AccumulateArg],
  SumAxis: [abi.SumAxisArg],
  CopyStrided: [abi.CopyStridedArg],
  CopyRows: [abi.CopyRowsArg],
  Softmax: [abi.SoftmaxArg],
  SoftmaxBackward: [abi.SoftmaxBackwardArg],
  ChannelMoments: [abi.ChannelMomentsArg],
  ChannelGradientSums: [abi.ChannelGradientSumsArg],
  ChannelAffine: [abi.ChannelAffineArg],
  LifForward: [abi.LifArg, abi.LifForwardArg],
  LifInference: [abi.LifArg, abi.LifInferenceArg],
  LifBackward: [abi.LifArg, abi.LifBackwardArg],
  SpikingRelu: [abi.SpikingReluArg],
};

/** The slot numbers of a numeric enum (its object also maps the numbers back to the names). */
function slots(layout: object): number[] {
  return Object.values(layout).filter((v): v is number => typeof v === "number");
}

test("every kernel's argument slots are distinct, after the kernel id and inside the job block", () => {
  for (const [kernel, layouts] of Object.entries(LAYOUTS)) {
    const all = layouts.flatMap(slots);
    assert.equal(new Set(all).size, all.length, `${kernel}: two arguments share a slot`);
    for (const slot of all) assert.ok(Number.isInteger(slot) && slot >= 1 && slot < abi.JOB_SLOTS, `${kernel}: slot ${slot} outside 1..${abi.JOB_SLOTS - 1}`);
  }
});

test("the blocks that follow the convolution geometry and the shared LIF arguments start right after them", () => {
  const last = (layout: object) => Math.max(...slots(layout));
  for (const after of [abi.ConvForwardArg.Samples, abi.ConvBackwardInputArg.Samples, abi.ConvBackwardWeightArg.Samples, abi.SparseConvArg.Events]) {
    assert.equal(after, last(abi.ConvGeometryArg) + 1);
  }
  assert.equal(abi.ConvGeometryArg.N, abi.ConvForwardArg.ScratchStride + 1);
  assert.equal(abi.SparseConvLifArg.T, last(abi.SparseConvArg) + 1);
  for (const first of [abi.LifForwardArg.Current, abi.LifInferenceArg.Current, abi.LifBackwardArg.Surrogate]) assert.equal(first, last(abi.LifArg) + 1);
});

test("every kernel id names one kernel", () => {
  const ids = slots(abi.Kernel);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort((a, b) => a - b), ids.map((_, i) => i));
});

test("the layouts above cover every argument enum of the interface", () => {
  const listed = new Set(Object.values(LAYOUTS).flat());
  const missing = Object.entries(abi).filter(([name, value]) => name.endsWith("Arg") && !listed.has(value as object)).map(([name]) => name);
  assert.deepEqual(missing, []);
});
