// Single-threaded blocked SGEMM (BLIS loop order) with a 4x8 or 6x8 SIMD register tile. Callers split
// the output into row or column ranges across threads; every C element sums k in the same order
// whatever the split, so results do not depend on the thread count.

/**
 * Rows of the register tile: 6 in the relaxed-SIMD module (12 accumulators, a fused multiply-add
 * each, 15 of the 16 vector registers: 6% more GFLOP/s than 4 rows), 4 in the SIMD128 one (a
 * multiply and an add each need a register more: 6 rows were 10% slower). The host reads it as
 * the exports GEMM_MR and GEMM_NR and aligns the blocks it gives each thread to them.
 */
export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
export const NR = 8;

const KC = 256;
/** Rows of a packed block of A: a whole number of register tiles (packA pads the last tile to MR rows). */
const MC: i32 = (128 / MR) * MR;
const NC = 512;
const PACK_A_BYTES: usize = MC * KC * 4;
const PACK_B_BYTES: usize = KC * NC * 4;
/** Per-thread scratch one gemmRange call needs: packed A block, packed B panel, an edge tile. */
export const GEMM_SCRATCH_BYTES: usize = PACK_A_BYTES + PACK_B_BYTES + MR * NR * 4;

/** Stores the 4x4 transpose of rows r0..r3 as four rows `step` bytes apart from dst. */
@inline export function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/** Packs op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels: panel q holds step p's MR values at (q*kc + p)*MR. */
function packA(a: usize, transA: bool, m: i32, k: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const panel = dst + (<usize>ir * kc << 2);
    if (transA) {
      // A stored k x m: op(A)(i, p) = a[p*m + i], so each step's MR values are contiguous.
      const src = a + ((<usize>p0 * m + i0 + ir) << 2);
      const ld = <usize>m << 2;
      if (rows == MR) {
        for (let p = 0; p < kc; p++) {
          const from = src + <usize>p * ld, to = panel + <usize>p * (MR << 2);
          v128.store(to, v128.load(from));
          if (MR == 6) store<u64>(to, load<u64>(from, 16), 16);
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let r = 0; r < MR; r++) {
            store<f32>(panel + ((<usize>p * MR + r) << 2), r < rows ? load<f32>(src + <usize>p * ld + (<usize>r << 2)) : 0);
          }
        }
      }
    } else {
      const src = a + ((<usize>(i0 + ir) * k + p0) << 2);
      const ld = <usize>k << 2;
      let p = 0;
      if (rows == MR) {
        // Rows 0-3 by 4x4 transposes, rows 4 and 5 (a 6-row tile) a pair at a time.
        for (; p + 4 <= kc; p += 4) {
          const off = <usize>p << 2;
          const to = panel + <usize>p * (MR << 2);
          transpose4(v128.load(src + off), v128.load(src + ld + off), v128.load(src + 2 * ld + off),
            v128.load(src + 3 * ld + off), to, MR << 2);
          if (MR == 6) {
            const r4 = v128.load(src + 4 * ld + off), r5 = v128.load(src + 5 * ld + off);
            const lo = i32x4.shuffle(r4, r5, 0, 4, 1, 5), hi = i32x4.shuffle(r4, r5, 2, 6, 3, 7);
            v128.store64_lane(to + 16, lo, 0);
            v128.store64_lane(to + 16 + (MR << 2), lo, 1);
            v128.store64_lane(to + 16 + 2 * (MR << 2), hi, 0);
            v128.store64_lane(to + 16 + 3 * (MR << 2), hi, 1);
          }
        }
      }
      for (; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(panel + ((<usize>p * MR + r) << 2), r < rows ? load<f32>(src + <usize>r * ld + (<usize>p << 2)) : 0);
        }
      }
    }
  }
}

/** Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels: panel q holds step p's NR values at (q*kc + p)*NR. */
function packB(b: usize, transB: bool, k: i32, n: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const panel = dst + (<usize>jr * kc << 2);
    if (!transB) {
      const ld = <usize>n << 2;
      let src = b + ((<usize>p0 * n + j0 + jr) << 2);
      if (cols == NR) {
        for (let p = 0; p < kc; p++) {
          const d = panel + (<usize>p << 5);
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
          src += ld;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let c = 0; c < NR; c++) {
            store<f32>(panel + ((<usize>p * NR + c) << 2), c < cols ? load<f32>(src + (<usize>c << 2)) : 0);
          }
          src += ld;
        }
      }
    } else {
      // B stored n x k: op(B)(p, j) = b[j*k + p]; 4x4 transposes turn column runs into packed rows.
      const ld = <usize>k << 2;
      const src = b + ((<usize>(j0 + jr) * k + p0) << 2);
      let p = 0;
      if (cols == NR) {
        for (; p + 4 <= kc; p += 4) {
          const s = src + (<usize>p << 2);
          const d = panel + (<usize>p << 5);
          transpose4(v128.load(s), v128.load(s + ld), v128.load(s + 2 * ld), v128.load(s + 3 * ld), d, 32);
          transpose4(v128.load(s + 4 * ld), v128.load(s + 5 * ld), v128.load(s + 6 * ld), v128.load(s + 7 * ld), d + 16, 32);
        }
      }
      for (; p < kc; p++) {
        for (let c = 0; c < NR; c++) {
          store<f32>(panel + ((<usize>p * NR + c) << 2), c < cols ? load<f32>(src + <usize>c * ld + (<usize>p << 2)) : 0);
        }
      }
    }
  }
}

/**
 * acc + a*b: in the relaxed-SIMD module one fused multiply-add where the machine has one (rounded
 * once), in the SIMD128 module a multiply and an add (rounded twice, like the reference backend).
 */
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** C tile (rows x cols at c, row pitch ldc bytes) = [C +] sum over kc steps of packed A panel x packed B panel. */
function microKernel(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, rows: i32, cols: i32, loadC: bool, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(c00, a, b0); c01 = madd(c01, a, b1);
    a = v128.load32_splat(ap, 4);
    c10 = madd(c10, a, b0); c11 = madd(c11, a, b1);
    a = v128.load32_splat(ap, 8);
    c20 = madd(c20, a, b0); c21 = madd(c21, a, b1);
    a = v128.load32_splat(ap, 12);
    c30 = madd(c30, a, b0); c31 = madd(c31, a, b1);
    if (MR == 6) {
      a = v128.load32_splat(ap, 16);
      c40 = madd(c40, a, b0); c41 = madd(c41, a, b1);
      a = v128.load32_splat(ap, 20);
      c50 = madd(c50, a, b0); c51 = madd(c51, a, b1);
    }
    ap += MR << 2;
    bp += NR << 2;
  }
  if (rows == MR && cols == NR) {
    let r = c;
    storeRow(r, c00, c01, loadC); r += ldc;
    storeRow(r, c10, c11, loadC); r += ldc;
    storeRow(r, c20, c21, loadC); r += ldc;
    storeRow(r, c30, c31, loadC);
    if (MR == 6) {
      r += ldc;
      storeRow(r, c40, c41, loadC); r += ldc;
      storeRow(r, c50, c51, loadC);
    }
    return;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  if (MR == 6) {
    v128.store(tile, c40, 128); v128.store(tile, c41, 144);
    v128.store(tile, c50, 160); v128.store(tile, c51, 176);
  }
  for (let i = 0; i < rows; i++) {
    const row = c + <usize>i * ldc;
    for (let j = 0; j < cols; j++) {
      const dst = row + (<usize>j << 2);
      const v = load<f32>(tile + ((<usize>i * NR + j) << 2));
      store<f32>(dst, loadC ? load<f32>(dst) + v : v);
    }
  }
}

/** Stores a tile row's 8 sums at r, added to what is there when loadC. */
@inline function storeRow(r: usize, s0: v128, s1: v128, loadC: bool): void {
  if (loadC) { s0 = f32x4.add(v128.load(r), s0); s1 = f32x4.add(v128.load(r, 16), s1); }
  v128.store(r, s0); v128.store(r, s1, 16);
}

/**
 * Rows [i0, i1) and columns [j0, j1) of C (m x n, at c) = op(A) op(B) (+ C when accumulate), with
 * op(A) m x k and op(B) k x n; pointers are byte offsets.
 */
export function gemmRange(transA: bool, transB: bool, m: i32, n: i32, k: i32, a: usize, b: usize, c: usize,
  accumulate: bool, i0: i32, i1: i32, j0: i32, j1: i32, scratch: usize): void {
  const ldc = <usize>n << 2;
  if (k == 0) {
    if (!accumulate) {
      for (let i = i0; i < i1; i++) memory.fill(c + <usize>i * ldc + (<usize>j0 << 2), 0, <usize>(j1 - j0) << 2);
    }
    return;
  }
  const ap = scratch;
  const bp = scratch + PACK_A_BYTES;
  const tile = bp + PACK_B_BYTES;
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(b, transB, k, n, pc, kc, jc, nc, bp);
      const loadC = accumulate || pc > 0;
      for (let ic = i0; ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        packA(a, transA, m, k, ic, mc, pc, kc, ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bPanel = bp + (<usize>jr * kc << 2);
          const cCol = c + (<usize>(jc + jr) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            microKernel(kc, ap + (<usize>ir * kc << 2), bPanel, cCol + <usize>(ic + ir) * ldc, ldc,
              min(MR, mc - ir), cols, loadC, tile);
          }
        }
      }
    }
  }
}
