/**
 * WFDB writers for tests, written from the WFDB signal(5) and header(5) descriptions and
 * independent of spikemed's readers: synthetic and resampled records for round trips.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { wfdbChecksum } from "../../../src/data/ecg/wfdb-signal.js";

// Annotation files are written by the product's own writer (the page's .pred download); its bytes are checked by hand in wfdb.test.ts.
export { mitAnnotationBytes } from "../../../src/data/ecg/wfdb-annotation.js";

/** Interleaved samples in a WFDB signal format (212, 16, 61, 80, 310, 311). */
export function encodeSamples(format: number, samples: ArrayLike<number>): Uint8Array {
  const out: number[] = [];
  if (format === 212) {
    for (let i = 0; i < samples.length; i += 2) {
      const a = samples[i] & 0xfff;
      const b = i + 1 < samples.length ? samples[i + 1] & 0xfff : 0;
      out.push(a & 0xff, ((b >> 8) << 4) | (a >> 8));
      if (i + 1 < samples.length) out.push(b & 0xff);
    }
  } else if (format === 16) for (let i = 0; i < samples.length; i++) out.push(samples[i] & 0xff, (samples[i] >> 8) & 0xff);
  else if (format === 61) for (let i = 0; i < samples.length; i++) out.push((samples[i] >> 8) & 0xff, samples[i] & 0xff);
  else if (format === 80) for (let i = 0; i < samples.length; i++) out.push((samples[i] + 128) & 0xff);
  else if (format === 311) {
    for (let i = 0; i < samples.length; i += 3) {
      const w = ((samples[i] & 0x3ff) | ((samples[i + 1] ?? 0) & 0x3ff) << 10 | ((samples[i + 2] ?? 0) & 0x3ff) << 20) >>> 0;
      out.push(w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, (w >>> 24) & 0xff);
    }
  } else if (format === 310) {
    for (let i = 0; i < samples.length; i += 3) {
      const c = (samples[i + 2] ?? 0) & 0x3ff;
      const w0 = ((samples[i] & 0x3ff) << 1) | ((c & 0x1f) << 11);
      const w1 = (((samples[i + 1] ?? 0) & 0x3ff) << 1) | ((c >> 5) << 11);
      out.push(w0 & 0xff, w0 >> 8, w1 & 0xff, w1 >> 8);
    }
  } else throw new Error(`encodeSamples: format ${format} is not written here`);
  return Uint8Array.from(out);
}

export interface SignalToWrite {
  /** ADC values, one per frame. */
  digital: ArrayLike<number>;
  description: string;
  /** ADC units per mV (default 200) and the ADC value of 0 mV (default 0). */
  gain?: number;
  baseline?: number;
}

/** Writes `dir/name.hea` and `dir/name.dat` (one signal file, `format`), with each signal's initial value and checksum. */
export function writeWfdbRecord(dir: string, name: string, samplingFrequency: number, format: number, signals: readonly SignalToWrite[]): void {
  const frames = signals[0].digital.length;
  const interleaved = new Int32Array(frames * signals.length);
  for (let f = 0; f < frames; f++) signals.forEach((s, i) => { interleaved[f * signals.length + i] = s.digital[f]; });
  writeFileSync(join(dir, `${name}.dat`), encodeSamples(format, interleaved));
  const bits = format === 212 ? 12 : format === 80 ? 8 : format === 310 || format === 311 ? 10 : 16;
  const lines = [`${name} ${signals.length} ${samplingFrequency} ${frames}`];
  for (const s of signals) {
    const digital = Int32Array.from(s.digital);
    lines.push(`${name}.dat ${format} ${s.gain ?? 200}(${s.baseline ?? 0})/mV ${bits} 0 ${digital[0]} ${wfdbChecksum(digital)} 0 ${s.description}`);
  }
  writeFileSync(join(dir, `${name}.hea`), lines.join("\n") + "\n");
}

