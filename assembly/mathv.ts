// Vectorised float32 transcendental functions (Cephes single-precision algorithms), accurate to a
// few ulp, with IEEE special cases (NaN, infinities, zero) handled explicitly.

@inline function splat(x: f32): v128 { return f32x4.splat(x); }

/** e^x. Results below 2.4e-38 flush to zero (the smallest normal floats); above 88.72 give +inf. */
@inline export function expv(x: v128): v128 {
  const xc = f32x4.max(f32x4.min(x, splat(88.7228)), splat(-86.5));
  const n = f32x4.nearest(f32x4.mul(xc, splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(n, splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, splat(-2.12194440e-4)));
  let y = splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, r), splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, f32x4.mul(r, r)), r), splat(1));
  // 2^n built as 2^(n-1) * 2 so that n = 128 (x near the overflow limit) stays a finite exponent.
  const pow = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(126)), 23);
  let res = f32x4.mul(f32x4.mul(y, pow), splat(2));
  res = v128.bitselect(splat(Infinity), res, f32x4.gt(x, splat(88.7228)));
  return v128.andnot(res, f32x4.lt(x, splat(-86.5)));
}

/** Natural logarithm: NaN below zero, -inf at zero, +inf at +inf. */
@inline export function logv(x: v128): v128 {
  // Denormals are scaled into the normal range first so their exponent bits mean what we read.
  const denormal = f32x4.lt(x, splat(1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, splat(8388608)), x, denormal);
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(xs, 23), i32x4.splat(126)));
  e = f32x4.sub(e, v128.and(denormal, splat(23)));
  let m = v128.or(v128.and(xs, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  const small = f32x4.lt(m, splat(0.707106781186547524));
  e = f32x4.sub(e, v128.and(small, splat(1)));
  m = f32x4.sub(f32x4.add(m, v128.and(small, m)), splat(1));
  const z = f32x4.mul(m, m);
  let y = splat(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), splat(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), splat(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), splat(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), splat(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), splat(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), splat(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), splat(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(e, splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, splat(0.5)));
  let res = f32x4.add(f32x4.add(m, y), f32x4.mul(e, splat(0.693359375)));
  res = v128.bitselect(splat(NaN), res, v128.or(f32x4.lt(x, splat(0)), f32x4.ne(x, x)));
  res = v128.bitselect(splat(-Infinity), res, f32x4.eq(x, splat(0)));
  return v128.bitselect(splat(Infinity), res, f32x4.eq(x, splat(Infinity)));
}

/** Hyperbolic tangent: a polynomial near zero (keeps relative accuracy and -0), 1 - 2/(e^2|x|+1) elsewhere. */
@inline export function tanhv(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), splat(-3.33332819422e-1));
  const near = f32x4.add(x, f32x4.mul(f32x4.mul(x, z), p));
  const e = expv(f32x4.add(ax, ax));
  let far = f32x4.sub(splat(1), f32x4.div(splat(2), f32x4.add(e, splat(1))));
  far = v128.or(far, v128.and(x, i32x4.splat(0x80000000))); // copy the sign of x
  return v128.bitselect(far, near, f32x4.gt(ax, splat(0.625)));
}

/** Logistic sigmoid, evaluated from e^-|x| so that neither branch overflows. */
@inline export function sigmoidv(x: v128): v128 {
  const e = expv(f32x4.neg(f32x4.abs(x)));
  const denom = f32x4.add(splat(1), e);
  return v128.bitselect(f32x4.div(splat(1), denom), f32x4.div(e, denom), f32x4.ge(x, splat(0)));
}

/** Loads count (< 4) floats into the low lanes of a vector; the other lanes are zero. */
@inline export function loadPartial(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  if (count > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores the low count (< 4) lanes of v. */
@inline export function storePartial(p: usize, v: v128, count: i32): void {
  if (count > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}
