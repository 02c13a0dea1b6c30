import assert from "node:assert/strict";
import { test } from "node:test";
import { resizeGray } from "../../../src/data/cxr/resize.js";
import { FIXTURES, maxAbsDiff, readJson } from "./paths.js";

interface Case { width: number; height: number; pixels: number[] }
const { cases } = readJson<{ cases: Record<string, Case> }>(`${FIXTURES}image_expected.json`);
const src = cases.source;

for (const name of ["area_shrink_to_11x7", "area_shrink_to_16x16", "bilinear_enlarge_to_50x41"]) {
  test(`resizeGray matches the reference (make_image_fixtures.py): ${name}`, () => {
    const want = cases[name];
    const got = resizeGray(src.pixels, src.width, src.height, want.width, want.height);
    assert.ok(maxAbsDiff(got, want.pixels) < 1e-5, `max difference ${maxAbsDiff(got, want.pixels)}`);
  });
}

test("resizeGray: shrinking by an integer factor is the block mean", () => {
  const img = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const got = resizeGray(img, 4, 4, 2, 2);
  assert.deepEqual(Array.from(got), [(1 + 2 + 5 + 6) / 4, (3 + 4 + 7 + 8) / 4, (9 + 10 + 13 + 14) / 4, (11 + 12 + 15 + 16) / 4]);
});

test("resizeGray: same size is the identity, and a constant image stays constant", () => {
  const img = Float32Array.from({ length: 30 }, (_, i) => i / 29);
  assert.deepEqual(Array.from(resizeGray(img, 6, 5, 6, 5)), Array.from(img));
  const flat = new Float32Array(17 * 13).fill(0.25);
  for (const [w, h] of [[5, 4], [40, 31], [17, 3]]) {
    const out = resizeGray(flat, 17, 13, w, h);
    assert.ok(out.every((v) => Math.abs(v - 0.25) < 1e-6), `${w}x${h}`);
  }
});

test("resizeGray: enlarging 2 -> 4 interpolates between pixel centres", () => {
  const got = resizeGray(Float32Array.from([0, 1]), 2, 1, 4, 1);
  // Output centres map to source x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
  assert.deepEqual(Array.from(got), [0, 0.25, 0.75, 1]);
});
