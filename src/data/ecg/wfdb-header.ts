/**
 * WFDB header (`.hea`) parsing, following the header(5) layout of the WFDB library:
 * a record line, one line per signal, then `#` comment lines (which may also appear anywhere).
 */
import { SpikemedError } from "../../core/errors.js";

export interface WfdbSignalSpec {
  /** Signal file name, relative to the header's folder. `~` means "no file" (format 0). */
  fileName: string;
  format: number;
  /** Samples of this signal per frame (the `x` suffix of the format field); 1 for most records. */
  samplesPerFrame: number;
  skew: number;
  /** Bytes to skip at the start of the signal file (the `+` suffix of the format field). */
  byteOffset: number;
  /** ADC units per physical unit. */
  gain: number;
  /** ADC value that corresponds to 0 physical units. */
  baseline: number;
  units: string;
  adcResolution: number;
  adcZero: number;
  /** Expected first sample (ADC units), or undefined when the header does not give one. */
  initialValue: number | undefined;
  /** Expected 16-bit signed sum of all samples, or undefined when the header does not give one. */
  checksum: number | undefined;
  blockSize: number;
  description: string;
}

export interface WfdbHeader {
  recordName: string;
  signalCount: number;
  /** Frames per second. */
  samplingFrequency: number;
  /** Frames in the record, or undefined when the header leaves it to the signal file size. */
  sampleCount: number | undefined;
  baseTime: string | undefined;
  baseDate: string | undefined;
  signals: WfdbSignalSpec[];
  comments: string[];
}

const DEFAULT_FREQUENCY = 250;
const DEFAULT_GAIN = 200;

/** Parses the text of a `.hea` file; `source` names the file in error messages. */
export function parseWfdbHeader(text: string, source: string): WfdbHeader {
  if (text.includes("\u0000")) {
    throw new SpikemedError(`${source}: not a WFDB header (binary content)`, "pass the record's .hea text file");
  }
  const comments: string[] = [];
  const lines: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const hash = raw.indexOf("#");
    if (hash >= 0) {
      const comment = raw.slice(hash + 1).trim();
      if (comment.length > 0) comments.push(comment);
    }
    const content = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (content.length > 0) lines.push(content);
  }
  if (lines.length === 0) throw new SpikemedError(`${source}: empty WFDB header (no record line)`);

  const recordFields = lines[0].split(/\s+/);
  const recordName = recordFields[0];
  if (recordName.includes("/")) {
    throw new SpikemedError(
      `${source}: multi-segment record "${recordName}" is not supported`,
      "convert it to a single-segment record (e.g. with WFDB's xform) first",
    );
  }
  const signalCount = parseInteger(recordFields[1], `${source}: record line, number of signals`);
  if (signalCount < 0) throw new SpikemedError(`${source}: record line has a negative number of signals`);
  const samplingFrequency =
    recordFields.length > 2 ? parseFrequency(recordFields[2].split("/")[0].replace(/\(.*\)$/, ""), `${source}: record line, sampling frequency`) : DEFAULT_FREQUENCY;
  const sampleCount = recordFields.length > 3 ? parseInteger(recordFields[3], `${source}: record line, number of samples`) : undefined;
  if (sampleCount !== undefined && sampleCount < 0) {
    throw new SpikemedError(`${source}: record line has a negative number of samples (${sampleCount})`, "give the number of samples per signal, or leave the field out to read it from the signal file's size");
  }
  const baseTime = recordFields[4];
  const baseDate = recordFields[5];

  if (lines.length - 1 < signalCount) {
    throw new SpikemedError(`${source}: header declares ${signalCount} signals but has ${lines.length - 1} signal lines (truncated header?)`);
  }
  const signals: WfdbSignalSpec[] = [];
  for (let s = 0; s < signalCount; s++) signals.push(parseSignalLine(lines[1 + s], `${source}: signal ${s}`));
  for (const [s, spec] of signals.entries()) checkSignalFileName(spec.fileName, `${source}: signal ${s}`);
  return { recordName, signalCount, samplingFrequency, sampleCount, baseTime, baseDate, signals, comments };
}

function parseSignalLine(line: string, where: string): WfdbSignalSpec {
  const fields = line.split(/\s+/);
  if (fields.length < 2) throw new SpikemedError(`${where}: signal line "${line}" lacks a format field`);
  const fileName = fields[0];
  const formatMatch = /^(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?$/.exec(fields[1]);
  if (!formatMatch) throw new SpikemedError(`${where}: cannot read format field "${fields[1]}"`);
  const format = Number(formatMatch[1]);
  const samplesPerFrame = formatMatch[2] ? Number(formatMatch[2]) : 1;
  const skew = formatMatch[3] ? Number(formatMatch[3]) : 0;
  const byteOffset = formatMatch[4] ? Number(formatMatch[4]) : 0;
  if (samplesPerFrame < 1) throw new SpikemedError(`${where}: samples per frame must be at least 1`);

  let gain = DEFAULT_GAIN;
  let baseline: number | undefined;
  let units = "mV";
  if (fields.length > 2) {
    const gainMatch = /^([-+]?[\d.eE+-]+)(?:\(([-+]?\d+)\))?(?:\/(\S+))?$/.exec(fields[2]);
    if (!gainMatch) throw new SpikemedError(`${where}: cannot read gain field "${fields[2]}"`);
    const parsedGain = Number(gainMatch[1]);
    if (!Number.isFinite(parsedGain)) throw new SpikemedError(`${where}: gain "${fields[2]}" is not a number`);
    // 1 / gain scales every sample: a gain so small that it overflows would turn samples into infinities.
    if (parsedGain !== 0 && !Number.isFinite(1 / parsedGain)) {
      throw new SpikemedError(`${where}: gain "${fields[2]}" is too small to divide by (ADC units per physical unit)`, "give the signal's real gain, e.g. 200 (ADC units per mV)");
    }
    // WFDB convention: a gain of 0 means "uncalibrated", read with the default gain.
    gain = parsedGain === 0 ? DEFAULT_GAIN : parsedGain;
    if (gainMatch[2] !== undefined) baseline = parseInteger(gainMatch[2], `${where}: baseline`);
    if (gainMatch[3] !== undefined) units = gainMatch[3];
  }
  const adcResolution = fields.length > 3 ? parseInteger(fields[3], `${where}: ADC resolution`) : 0;
  const adcZero = fields.length > 4 ? parseInteger(fields[4], `${where}: ADC zero`) : 0;
  const initialValue = fields.length > 5 ? parseInteger(fields[5], `${where}: initial value`) : undefined;
  const checksum = fields.length > 6 ? parseInteger(fields[6], `${where}: checksum`) : undefined;
  const blockSize = fields.length > 7 ? parseInteger(fields[7], `${where}: block size`) : 0;
  const description = fields.slice(8).join(" ");
  return {
    fileName, format, samplesPerFrame, skew, byteOffset, gain, baseline: baseline ?? adcZero, units,
    adcResolution, adcZero, initialValue, checksum, blockSize, description,
  };
}

function parseInteger(field: string, what: string): number {
  if (!/^[-+]?\d+$/.test(field) || !Number.isSafeInteger(Number(field))) throw new SpikemedError(`${what}: "${field}" is not an integer (of at most 15 digits)`);
  return Number(field);
}

/**
 * Sampling frequencies a header may give. WFDB stores slow trends too (one sample a minute is
 * 0.0167 Hz), but rates below a sample a day or above a gigahertz are no recording: they are
 * corrupt headers, and rates like 1e-320 overflow every computation of time.
 */
export const WFDB_FREQUENCY_RANGE = { min: 1 / 86400, max: 1e9 } as const;

function parseFrequency(field: string, what: string): number {
  const value = Number(field);
  if (field.trim() === "" || !Number.isFinite(value) || value < WFDB_FREQUENCY_RANGE.min || value > WFDB_FREQUENCY_RANGE.max) {
    throw new SpikemedError(`${what}: "${field}" is not a sampling frequency from ${WFDB_FREQUENCY_RANGE.min.toExponential(3)} to ${WFDB_FREQUENCY_RANGE.max} Hz`,
      "give the record's frames per second, e.g. 360");
  }
  return value;
}

/**
 * A header names its signal files relative to its own folder, and only there: a name with a
 * folder in it (`../../etc/passwd`, `/etc/passwd`, `sub/x.dat`) is refused, so that reading a
 * record never opens a file outside the record's folder.
 */
function checkSignalFileName(fileName: string, where: string): void {
  if (/[/\\]/.test(fileName) || fileName === "." || fileName === "..") {
    throw new SpikemedError(`${where}: signal file name "${fileName}" is not a file in the header's own folder`, "name the signal file without a folder, e.g. 100.dat, and keep it beside the header");
  }
}
