/** A whole WFDB record assembled from its files' bytes, however they were read (disk, HTTP). */
import { parseMitAnnotations, type Annotations } from "./wfdb-annotation.js";
import type { WfdbHeader } from "./wfdb-header.js";
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

/** A record's files: its signal files by the names its header gives, and its annotations if any (`path` names them in errors). */
export interface WfdbRecordFiles {
  signal: (fileName: string) => Uint8Array;
  annotations?: { bytes: Uint8Array; path: string };
}

/** Record `name` from its parsed header and its files: all signals (checksums verified unless `verify` is false) and the annotations. */
export function recordFromFiles(name: string, header: WfdbHeader, files: WfdbRecordFiles, verify = true): WfdbRecord {
  const { frameCount, digital } = decodeRecordSignals(header, files.signal, verify);
  const physical = header.signals.map((spec, i) => toPhysical(digital[i], spec));
  const annotations: Annotations | undefined = files.annotations ? parseMitAnnotations(files.annotations.bytes, files.annotations.path) : undefined;
  return {
    name, header, samplingFrequency: header.samplingFrequency, frameCount,
    signalNames: header.signals.map((s) => s.description), digital, physical, annotations,
  };
}
