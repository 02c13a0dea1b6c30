/**
 * Decoding of WFDB signal files (formats 212, 16, 61, 80, 310, 311, 24, 32) into ADC units,
 * with the per-signal initial-value and checksum verification that WFDB headers allow.
 */
import { SpikemedError } from "../../core/errors.js";
import type { WfdbHeader, WfdbSignalSpec } from "./wfdb-header.js";

export const SUPPORTED_SIGNAL_FORMATS: readonly number[] = [212, 16, 61, 80, 310, 311, 24, 32];

/** ADC value WFDB writes for "no sample here", per format. */
const INVALID_SAMPLE: Record<number, number> = {
  212: -2048, 16: -32768, 61: -32768, 80: -128, 310: -512, 311: -512, 24: -8388608, 32: -2147483648,
};

/** Samples that fit in `byteCount` bytes of the given format (a partial trailing group counts its complete samples). */
export function samplesInBytes(format: number, byteCount: number): number {
  switch (format) {
    case 80: return byteCount;
    case 16: case 61: return Math.floor(byteCount / 2);
    case 24: return Math.floor(byteCount / 3);
    case 32: return Math.floor(byteCount / 4);
    case 212: {
      const groups = Math.floor(byteCount / 3);
      return groups * 2 + (byteCount % 3 >= 2 ? 1 : 0);
    }
    case 310: {
      const groups = Math.floor(byteCount / 4);
      const rest = byteCount % 4;
      return groups * 3 + (rest >= 2 ? 1 : 0);
    }
    case 311: {
      const groups = Math.floor(byteCount / 4);
      const rest = byteCount % 4;
      return groups * 3 + (rest >= 3 ? 2 : rest >= 2 ? 1 : 0);
    }
    default: throw new Error(`samplesInBytes: unsupported format ${format}`);
  }
}

/**
 * Decodes `count` consecutive samples of one format from `bytes` (starting at byte `start`) into `out`.
 * The caller has checked that the bytes hold at least `count` samples.
 */
export function decodeSamples(bytes: Uint8Array, start: number, format: number, count: number, out: Int32Array): void {
  let p = start;
  switch (format) {
    case 212: {
      let i = 0;
      for (; i + 1 < count; i += 2, p += 3) {
        const b1 = bytes[p + 1];
        out[i] = (((b1 & 0x0f) << 8) | bytes[p]) << 20 >> 20;
        out[i + 1] = (((b1 & 0xf0) << 4) | bytes[p + 2]) << 20 >> 20;
      }
      if (i < count) out[i] = (((bytes[p + 1] & 0x0f) << 8) | bytes[p]) << 20 >> 20;
      return;
    }
    case 16:
      for (let i = 0; i < count; i++, p += 2) out[i] = ((bytes[p + 1] << 8) | bytes[p]) << 16 >> 16;
      return;
    case 61:
      for (let i = 0; i < count; i++, p += 2) out[i] = ((bytes[p] << 8) | bytes[p + 1]) << 16 >> 16;
      return;
    case 80:
      for (let i = 0; i < count; i++) out[i] = bytes[p + i] - 128;
      return;
    case 24:
      for (let i = 0; i < count; i++, p += 3) out[i] = ((bytes[p + 2] << 16) | (bytes[p + 1] << 8) | bytes[p]) << 8 >> 8;
      return;
    case 32:
      for (let i = 0; i < count; i++, p += 4) out[i] = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
      return;
    case 310:
      // Three 10-bit samples in two little-endian 16-bit words: bits 1-10 of each word, then the
      // top five bits of both words (low half from the first word) form the third sample.
      for (let i = 0; i < count; i += 3, p += 4) {
        const w0 = bytes[p] | (bytes[p + 1] << 8);
        out[i] = ((w0 >> 1) & 0x3ff) << 22 >> 22;
        if (i + 1 < count) {
          const w1 = bytes[p + 2] | (bytes[p + 3] << 8);
          out[i + 1] = ((w1 >> 1) & 0x3ff) << 22 >> 22;
          if (i + 2 < count) out[i + 2] = (((w0 >> 11) & 0x1f) | (((w1 >> 11) & 0x1f) << 5)) << 22 >> 22;
        }
      }
      return;
    case 311:
      // Three 10-bit samples in the low 30 bits of a little-endian 32-bit word.
      for (let i = 0; i < count; i += 3, p += 4) {
        const w = (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24)) >>> 0;
        out[i] = (w & 0x3ff) << 22 >> 22;
        if (i + 1 < count) out[i + 1] = ((w >>> 10) & 0x3ff) << 22 >> 22;
        if (i + 2 < count) out[i + 2] = ((w >>> 20) & 0x3ff) << 22 >> 22;
      }
      return;
    default:
      throw new Error(`decodeSamples: unsupported format ${format}`);
  }
}

/** The 16-bit two's-complement sum WFDB stores as a signal's checksum. */
export function wfdbChecksum(samples: Int32Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum = (sum + samples[i]) | 0;
  return (sum << 16) >> 16;
}

export interface DecodedSignals {
  /** Frames in the record. */
  frameCount: number;
  /** ADC samples per signal, `frameCount * samplesPerFrame` long each. */
  digital: Int32Array[];
}

/**
 * Decodes every signal of a record. `readFile(name)` returns the bytes of a signal file named in
 * the header. Verifies initial values and checksums unless `verify` is false.
 */
export function decodeRecordSignals(
  header: WfdbHeader,
  readFile: (fileName: string) => Uint8Array,
  verify = true,
): DecodedSignals {
  const record = header.recordName;
  const byFile = new Map<string, number[]>();
  header.signals.forEach((spec, index) => {
    if (spec.format === 0) return;
    if (!SUPPORTED_SIGNAL_FORMATS.includes(spec.format)) {
      throw new SpikemedError(
        `record ${record}, signal ${index} (${spec.description || spec.fileName}): WFDB format ${spec.format} is not supported`,
        `supported formats: ${SUPPORTED_SIGNAL_FORMATS.join(", ")}`,
      );
    }
    if (spec.skew !== 0) {
      throw new SpikemedError(`record ${record}, signal ${index}: skewed signals are not supported`);
    }
    const group = byFile.get(spec.fileName) ?? [];
    group.push(index);
    byFile.set(spec.fileName, group);
  });

  let frameCount = header.sampleCount;
  const digital: Int32Array[] = header.signals.map(() => new Int32Array(0));
  const decodedFiles: Array<{ indices: number[]; stream: Int32Array; frameSize: number }> = [];
  for (const [fileName, indices] of byFile) {
    const specs = indices.map((i) => header.signals[i]);
    const format = specs[0].format;
    if (specs.some((s) => s.format !== format || s.byteOffset !== specs[0].byteOffset)) {
      throw new SpikemedError(`record ${record}: signals in ${fileName} disagree on format or byte offset`);
    }
    const bytes = readFile(fileName);
    const frameSize = specs.reduce((sum, s) => sum + s.samplesPerFrame, 0);
    const available = bytes.length > specs[0].byteOffset ? samplesInBytes(format, bytes.length - specs[0].byteOffset) : 0;
    const framesInFile = Math.floor(available / frameSize);
    if (frameCount === undefined) frameCount = framesInFile;
    if (framesInFile < frameCount) {
      throw new SpikemedError(
        `record ${record}: signal file ${fileName} is truncated: it holds ${framesInFile} of ${frameCount} frames (${bytes.length} bytes)`,
        "download the record again",
      );
    }
    const stream = new Int32Array(frameCount * frameSize);
    decodeSamples(bytes, specs[0].byteOffset, format, stream.length, stream);
    decodedFiles.push({ indices, stream, frameSize });
  }
  const frames = frameCount ?? 0;
  for (const { indices, stream, frameSize } of decodedFiles) {
    let offsetInFrame = 0;
    for (const index of indices) {
      const spf = header.signals[index].samplesPerFrame;
      const out = new Int32Array(frames * spf);
      for (let f = 0, o = 0; f < frames; f++) {
        const base = f * frameSize + offsetInFrame;
        for (let k = 0; k < spf; k++) out[o++] = stream[base + k];
      }
      digital[index] = out;
      offsetInFrame += spf;
    }
  }
  if (verify) verifySignals(header, digital);
  return { frameCount: frames, digital };
}

function verifySignals(header: WfdbHeader, digital: Int32Array[]): void {
  header.signals.forEach((spec, index) => {
    if (spec.format === 0) return;
    const samples = digital[index];
    const name = `record ${header.recordName}, signal ${index} (${spec.description || spec.fileName})`;
    if (spec.initialValue !== undefined && samples.length > 0 && samples[0] !== spec.initialValue) {
      throw new SpikemedError(
        `${name}: first sample is ${samples[0]} but the header says ${spec.initialValue}: ${spec.fileName} is corrupt or does not belong to this header`,
      );
    }
    if (spec.checksum !== undefined) {
      const actual = wfdbChecksum(samples);
      if (actual !== ((spec.checksum << 16) >> 16)) {
        throw new SpikemedError(
          `${name}: checksum mismatch (computed ${actual}, header says ${spec.checksum}): ${spec.fileName} is corrupt or truncated`,
          "download the record again",
        );
      }
    }
  });
}

/** Whether `value` is the ADC value WFDB writes for "no sample here" in `format`. */
export function isInvalidSample(value: number, format: number): boolean {
  return value === INVALID_SAMPLE[format];
}

/** Converts ADC samples to physical units; WFDB's invalid-sample marker becomes NaN. */
export function toPhysical(samples: Int32Array, spec: WfdbSignalSpec): Float32Array {
  const out = new Float32Array(samples.length);
  const invalid = INVALID_SAMPLE[spec.format];
  const scale = 1 / spec.gain;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    out[i] = v === invalid ? NaN : (v - spec.baseline) * scale;
  }
  return out;
}
