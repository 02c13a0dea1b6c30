/** Reading whole WFDB records (header, signals, annotations) from a folder. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SpikemedError } from "../../core/errors.js";
import { recordFromFiles, type ReadRecordOptions, type WfdbRecord, type WfdbRecordFiles } from "./wfdb-files.js";
import { parseWfdbHeader, type WfdbHeader } from "./wfdb-header.js";

export type { ReadRecordOptions, WfdbRecord };

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
  const annotator = options.annotator === undefined ? "atr" : options.annotator;
  let annotations: WfdbRecordFiles["annotations"];
  if (annotator !== null) {
    const path = join(dir, `${name}.${annotator}`);
    if (existsSync(path)) annotations = { bytes: readBytes(path, `record ${name}`), path };
    else if (options.requireAnnotations) throw new SpikemedError(`record ${name}: annotation file ${path} not found`);
  }
  return recordFromFiles(name, header, { signal: (fileName) => readBytes(join(dir, fileName), `record ${name}`), annotations }, options.verify ?? true);
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
