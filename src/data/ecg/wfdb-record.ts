/** Reading whole WFDB records (header, signals, annotations) from a folder. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SpikemedError } from "../../core/errors.js";
import { parseMitAnnotations, type Annotations } from "./wfdb-annotation.js";
import { parseWfdbHeader, type WfdbHeader } from "./wfdb-header.js";
import { decodeRecordSignals, toPhysical } from "./wfdb-signal.js";

export interface WfdbRecord {
  name: string;
  header: WfdbHeader;
  samplingFrequency: number;
  frameCount: number;
  /** Signal descriptions from the header (e.g. "MLII", "V1"). */
  signalNames: string[];
  /** ADC samples per signal. */
  digital: Int32Array[];
  /** Physical values per signal (usually mV); NaN where the record marks a sample invalid. */
  physical: Float32Array[];
  /** Annotations from the requested annotator, when asked for and present. */
  annotations: Annotations | undefined;
}

export interface ReadRecordOptions {
  /** Annotator file extension to read (default "atr"); null to skip annotations. */
  annotator?: string | null;
  /** Fail if the annotation file is missing (default false: annotations are then undefined). */
  requireAnnotations?: boolean;
  /** Verify initial values and checksums (default true). */
  verify?: boolean;
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SpikemedError(`${what}: cannot read ${path} (${code ?? String(error)})`);
  }
}

/** Reads the header of record `name` in `dir`. */
export function readHeader(dir: string, name: string): WfdbHeader {
  const path = join(dir, `${name}.hea`);
  if (!existsSync(path)) {
    throw new SpikemedError(`record ${name}: header ${path} not found`, "check the data folder and record name");
  }
  return parseWfdbHeader(new TextDecoder("latin1").decode(readBytes(path, `record ${name}`)), path);
}

/** Reads record `name` from `dir`: header, all signals (verified), and its annotations. */
export function readRecord(dir: string, name: string, options: ReadRecordOptions = {}): WfdbRecord {
  const header = readHeader(dir, name);
  const { frameCount, digital } = decodeRecordSignals(
    header,
    (fileName) => readBytes(join(dir, fileName), `record ${name}`),
    options.verify ?? true,
  );
  const physical = header.signals.map((spec, i) => toPhysical(digital[i], spec));
  const annotator = options.annotator === undefined ? "atr" : options.annotator;
  let annotations: Annotations | undefined;
  if (annotator !== null) {
    const path = join(dir, `${name}.${annotator}`);
    if (existsSync(path)) annotations = parseMitAnnotations(readBytes(path, `record ${name}`), path);
    else if (options.requireAnnotations) throw new SpikemedError(`record ${name}: annotation file ${path} not found`);
  }
  return {
    name, header, samplingFrequency: header.samplingFrequency, frameCount,
    signalNames: header.signals.map((s) => s.description), digital, physical, annotations,
  };
}

/**
 * Record names in a folder: the lines of its RECORDS file when there is one, otherwise every
 * `*.hea` file, sorted.
 */
export function listRecords(dir: string): string[] {
  if (!existsSync(dir)) throw new SpikemedError(`data folder ${dir} does not exist`);
  const recordsFile = join(dir, "RECORDS");
  if (existsSync(recordsFile)) {
    return readFileSync(recordsFile, "utf8").split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith("#"));
  }
  const names = readdirSync(dir).filter((f) => f.endsWith(".hea")).map((f) => f.slice(0, -4)).sort();
  if (names.length === 0) throw new SpikemedError(`data folder ${dir} has no RECORDS file and no .hea headers`, "point to a folder of WFDB records");
  return names;
}

export interface LoadRecordsResult {
  records: WfdbRecord[];
  /** Records that could not be read, with the reason. */
  failures: Array<{ name: string; message: string }>;
}

/** Reads several records, collecting the unreadable ones by name instead of stopping at the first. */
export function loadRecords(dir: string, names: readonly string[] = listRecords(dir), options: ReadRecordOptions = {}): LoadRecordsResult {
  const records: WfdbRecord[] = [];
  const failures: Array<{ name: string; message: string }> = [];
  for (const name of names) {
    try {
      records.push(readRecord(dir, name, options));
    } catch (error) {
      if (!(error instanceof SpikemedError)) throw error;
      failures.push({ name, message: error.message });
    }
  }
  return { records, failures };
}
