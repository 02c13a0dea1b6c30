/**
 * Grayscale resampling to a square side.
 *
 * Each axis is resampled on its own (separable), with the method chosen per axis:
 * - shrinking: area averaging: every output pixel is the mean of the source pixels it covers,
 *   weighted by the covered fraction of each (exact box integration, like Pillow's BOX filter
 *   or OpenCV INTER_AREA). No aliasing, no ringing, and the mean intensity is preserved.
 * - enlarging (or same size): bilinear interpolation with pixel-centre alignment
 *   (source x = (dst x + 0.5) * in/out - 0.5, clamped at the borders), as Pillow's BILINEAR and
 *   OpenCV INTER_LINEAR do when enlarging; same size is the identity.
 * The aspect ratio is not kept: a W x H image becomes S x S, as in the paper's pipeline.
 */

/** For one axis: for each output position, the source indices and weights that make it. */
interface AxisTaps {
  start: Int32Array; // first tap index into `index`/`weight` for output i
  count: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

function axisTaps(inLength: number, outLength: number): AxisTaps {
  const start = new Int32Array(outLength);
  const count = new Int32Array(outLength);
  const index: number[] = [];
  const weight: number[] = [];
  const scale = inLength / outLength;
  for (let o = 0; o < outLength; o++) {
    start[o] = index.length;
    if (scale > 1) {
      const lo = o * scale;
      const hi = (o + 1) * scale;
      for (let s = Math.floor(lo); s < hi && s < inLength; s++) {
        const covered = Math.min(hi, s + 1) - Math.max(lo, s);
        if (covered > 1e-12) {
          index.push(s);
          weight.push(covered / scale);
        }
      }
    } else {
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inLength - 1);
      const s0 = Math.floor(x);
      const frac = x - s0;
      index.push(s0);
      weight.push(1 - frac);
      if (frac > 0) {
        index.push(s0 + 1);
        weight.push(frac);
      }
    }
    count[o] = index.length - start[o];
  }
  return { start, count, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/**
 * Resamples a row-major `width` x `height` grayscale image into `out` (`outWidth` x `outHeight`,
 * row-major). Values are not clamped or rounded.
 */
export function resizeGray(
  src: ArrayLike<number>,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  out: Float32Array = new Float32Array(outWidth * outHeight),
): Float32Array {
  if (src.length < width * height) throw new RangeError(`resizeGray: source has ${src.length} values, expected ${width * height}`);
  if (out.length < outWidth * outHeight) throw new RangeError(`resizeGray: output has ${out.length} values, expected ${outWidth * outHeight}`);
  const tx = axisTaps(width, outWidth);
  const ty = axisTaps(height, outHeight);
  // Horizontal pass first: height x outWidth intermediate.
  const mid = new Float64Array(height * outWidth);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const midRow = y * outWidth;
    for (let o = 0; o < outWidth; o++) {
      let acc = 0;
      const end = tx.start[o] + tx.count[o];
      for (let t = tx.start[o]; t < end; t++) acc += src[row + tx.index[t]] * tx.weight[t];
      mid[midRow + o] = acc;
    }
  }
  for (let o = 0; o < outHeight; o++) {
    const outRow = o * outWidth;
    const end = ty.start[o] + ty.count[o];
    for (let x = 0; x < outWidth; x++) out[outRow + x] = 0;
    for (let t = ty.start[o]; t < end; t++) {
      const midRow = ty.index[t] * outWidth;
      const w = ty.weight[t];
      for (let x = 0; x < outWidth; x++) out[outRow + x] += mid[midRow + x] * w;
    }
  }
  return out;
}
