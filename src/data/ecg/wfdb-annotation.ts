/**
 * WFDB annotation files in the MIT format (`.atr` and other annotators), as described in
 * WFDB's annot(5): 16-bit little-endian words with a 6-bit code and a 10-bit time increment,
 * plus the pseudo-codes SKIP (long increments), NUM, SUB, CHN and AUX (e.g. rhythm strings).
 */
import { SpikemedError } from "../../core/errors.js";

const SKIP = 59;
const NUM = 60;
const SUB = 61;
const CHN = 62;
const AUX = 63;

/** WFDB annotation mnemonics indexed by code (ecgcodes.h). */
export const ANNOTATION_SYMBOLS: readonly string[] = [
  " ", "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q", "~", "", "|", "", "s", "T", "*",
  "D", '"', "=", "p", "B", "^", "t", "+", "u", "?", "!", "[", "]", "e", "n", "@", "x", "f", "(", ")", "r",
];

/** Codes WFDB's isqrs() counts as beats. */
const BEAT_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 34, 35, 38, 41]);

export function isBeatCode(code: number): boolean {
  return BEAT_CODES.has(code);
}

export interface Annotations {
  /** Sample index of each annotation. */
  sample: Int32Array;
  code: Uint8Array;
  subtype: Int8Array;
  channel: Uint8Array;
  num: Uint8Array;
  /** AUX strings (e.g. "(AFIB"), keyed by annotation index; most annotations have none. */
  aux: Map<number, string>;
}

export function annotationSymbol(code: number): string {
  return ANNOTATION_SYMBOLS[code] ?? `#${code}`;
}

/** Parses an MIT-format annotation file; `source` names the file in error messages. */
export function parseMitAnnotations(bytes: Uint8Array, source: string): Annotations {
  if (bytes.length % 2 !== 0) {
    throw new SpikemedError(`${source}: annotation file has an odd number of bytes (${bytes.length}): truncated or not an MIT-format annotation file`);
  }
  const capacity = bytes.length >> 1;
  const sample = new Int32Array(capacity);
  const code = new Uint8Array(capacity);
  const subtype = new Int8Array(capacity);
  const channel = new Uint8Array(capacity);
  const num = new Uint8Array(capacity);
  const aux = new Map<number, string>();
  let n = 0;
  let time = 0;
  let currentNum = 0;
  let currentChannel = 0;
  let sawEnd = false;
  let p = 0;
  const word = (at: number): number => bytes[at] | (bytes[at + 1] << 8);
  while (p + 1 < bytes.length) {
    const w = word(p);
    p += 2;
    const a = w >> 10;
    const value = w & 0x3ff;
    if (a === 0 && value === 0) {
      sawEnd = true;
      break;
    }
    switch (a) {
      case SKIP: {
        if (p + 4 > bytes.length) throw new SpikemedError(`${source}: truncated SKIP at byte ${p - 2}`);
        // The 32-bit interval is stored high 16-bit word first (PDP-11 order).
        const interval = ((word(p) << 16) | word(p + 2)) | 0;
        time += interval;
        p += 4;
        break;
      }
      case NUM:
        if (n === 0) throw new SpikemedError(`${source}: NUM before the first annotation at byte ${p - 2}`);
        currentNum = value;
        num[n - 1] = value;
        break;
      case SUB:
        if (n === 0) throw new SpikemedError(`${source}: SUB before the first annotation at byte ${p - 2}`);
        subtype[n - 1] = (value << 24) >> 24;
        break;
      case CHN:
        if (n === 0) throw new SpikemedError(`${source}: CHN before the first annotation at byte ${p - 2}`);
        currentChannel = value;
        channel[n - 1] = value;
        break;
      case AUX: {
        if (n === 0) throw new SpikemedError(`${source}: AUX before the first annotation at byte ${p - 2}`);
        if (p + value > bytes.length) throw new SpikemedError(`${source}: truncated AUX string at byte ${p - 2}`);
        let end = p + value;
        // AUX strings may carry a terminating NUL inside their declared length.
        while (end > p && bytes[end - 1] === 0) end--;
        aux.set(n - 1, new TextDecoder("latin1").decode(bytes.subarray(p, end)));
        p += value + (value & 1);
        break;
      }
      default:
        if (a > 49) throw new SpikemedError(`${source}: invalid annotation code ${a} at byte ${p - 2}: not an MIT-format annotation file`);
        time += value;
        // A negative SKIP can move the time before the record's start; an annotation there has no sample.
        if (time < 0 || time > 0x7fffffff) throw new SpikemedError(`${source}: annotation at byte ${p - 2} falls at sample ${time}, outside any record`, "the annotation file is damaged; download it again");
        sample[n] = time;
        code[n] = a;
        num[n] = currentNum;
        channel[n] = currentChannel;
        n++;
    }
  }
  if (!sawEnd) {
    throw new SpikemedError(`${source}: annotation file ends without the end-of-file marker (truncated)`, "download the annotation file again");
  }
  return {
    sample: sample.slice(0, n), code: code.slice(0, n), subtype: subtype.slice(0, n),
    channel: channel.slice(0, n), num: num.slice(0, n), aux,
  };
}

/**
 * An MIT-format annotation file of `codes` at `samples` (non-decreasing), as WFDB's wrann writes
 * one: 16-bit little-endian words of a 6-bit code and a 10-bit interval; a longer interval goes
 * first in a SKIP (code 59) with its 32 bits, high word first; a zero word ends the file.
 */
export function mitAnnotationBytes(samples: ArrayLike<number>, codes: ArrayLike<number>): Uint8Array {
  if (samples.length !== codes.length) throw new SpikemedError(`annotations: ${samples.length} samples but ${codes.length} codes`);
  const words: number[] = [];
  let time = 0;
  for (let i = 0; i < samples.length; i++) {
    const interval = samples[i] - time;
    if (!(Number.isInteger(interval) && interval >= 0)) throw new SpikemedError(`annotations: annotation ${i} at sample ${samples[i]} comes before ${time}`, "sort the annotations by sample");
    if (!(codes[i] >= 1 && codes[i] <= 49)) throw new SpikemedError(`annotations: code ${codes[i]} of annotation ${i} is not an annotation code (1..49)`);
    if (interval > 1023) words.push(SKIP << 10, (interval >>> 16) & 0xffff, interval & 0xffff, codes[i] << 10);
    else words.push((codes[i] << 10) | interval);
    time = samples[i];
  }
  words.push(0);
  const out = new Uint8Array(words.length * 2);
  words.forEach((w, k) => { out[2 * k] = w & 0xff; out[2 * k + 1] = w >> 8; });
  return out;
}
