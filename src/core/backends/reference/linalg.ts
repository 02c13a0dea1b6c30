import type { ConvGeometry } from "../../backend.js";

/** C = op(A) op(B) (+ C), one matrix; A, B, C start at the given offsets. */
export function gemmSingle(transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, aOff: number, b: Float32Array, bOff: number, c: Float32Array, cOff: number, accumulate: boolean): void {
  if (!accumulate) c.fill(0, cOff, cOff + m * n);
  // A element (i, p): transA ? a[p*m + i] : a[i*k + p]
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  if (!transB) {
    // Row i of C accumulates A[i,p] * row p of B: unit-stride inner loop over j.
    for (let i = 0; i < m; i++) {
      const cRow = cOff + i * n;
      for (let p = 0; p < k; p++) {
        const av = a[aOff + i * aRow + p * aCol];
        if (av === 0) continue;
        const bRow = bOff + p * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
      }
    }
  } else {
    // B stored n x k: C[i,j] is a dot product of A's row i and B's row j.
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        const bRow = bOff + j * k;
        for (let p = 0; p < k; p++) sum += a[aOff + i * aRow + p * aCol] * b[bRow + p];
        c[cOff + i * n + j] += sum;
      }
    }
  }
}

/** Unfolds one image x[cin, h, w] (at xOff) into col[cin*kh*kw, outH*outW]. */
export function im2col(x: Float32Array, xOff: number, col: Float32Array, g: ConvGeometry): void {
  const { cin, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const spatial = outH * outW;
  for (let c = 0; c < cin; c++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const row = ((c * kh + ky) * kw + kx) * spatial;
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * strideH - padH + ky * dilationH;
          for (let ox = 0; ox < outW; ox++) {
            const ix = ox * strideW - padW + kx * dilationW;
            col[row + oy * outW + ox] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[xOff + (c * h + iy) * w + ix] : 0;
          }
        }
      }
    }
  }
}

/** Adds col[cin*kh*kw, outH*outW] back into the image dx[cin, h, w] (at dxOff), the adjoint of im2col. */
export function col2im(col: Float32Array, dx: Float32Array, dxOff: number, g: ConvGeometry): void {
  const { cin, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const spatial = outH * outW;
  for (let c = 0; c < cin; c++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const row = ((c * kh + ky) * kw + kx) * spatial;
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * strideH - padH + ky * dilationH;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < outW; ox++) {
            const ix = ox * strideW - padW + kx * dilationW;
            if (ix >= 0 && ix < w) dx[dxOff + (c * h + iy) * w + ix] += col[row + oy * outW + ox];
          }
        }
      }
    }
  }
}

/** The event-driven dense layer of Backend.sparseLinearForward, in its summation order. */
export function sparseLinear(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array,
  rows: number, inFeatures: number, outFeatures: number): void {
  for (let r = 0; r < rows; r++) {
    const yRow = r * outFeatures;
    for (let o = 0; o < outFeatures; o++) y[yRow + o] = bias ? bias[o] : 0;
    for (let i = 0; i < inFeatures; i++) {
      const v = x[r * inFeatures + i];
      if (v === 0) continue;
      for (let o = 0; o < outFeatures; o++) y[yRow + o] = Math.fround(y[yRow + o] + Math.fround(v * weight[o * inFeatures + i]));
    }
  }
}

/** The event-driven convolution of Backend.sparseConv2dForward, in its summation order. */
export function sparseConv(x: Float32Array, weight: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvGeometry): void {
  const { n, cin, h, w, cout, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const spatial = outH * outW;
  for (let s = 0; s < n; s++) {
    const xs = s * cin * h * w;
    for (let c = 0; c < cout; c++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let acc = bias ? bias[c] : 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * strideH - padH + ky * dilationH;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * strideW - padW + kx * dilationW;
              if (ix < 0 || ix >= w) continue;
              for (let ci = 0; ci < cin; ci++) {
                const v = x[xs + (ci * h + iy) * w + ix];
                if (v !== 0) acc = Math.fround(acc + Math.fround(v * weight[((c * cin + ci) * kh + ky) * kw + kx]));
              }
            }
          }
          y[(s * cout + c) * spatial + oy * outW + ox] = acc;
        }
      }
    }
  }
}
