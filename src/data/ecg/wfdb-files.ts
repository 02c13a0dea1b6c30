/** A whole WFDB record assembled from its files' bytes, however they were read (disk, HTTP). */
import { SpikemedError } from "../../core/errors.js";
import { parseMitAnnotations, type Annotations } from "./wfdb-annotation.js";
import type { WfdbHeader } from "./wfdb-header.js";
import { decodeRecordSignals, isInvalidSample, toPhysical } from "./wfdb-signal.js";

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
  physical.forEach((values, i) => checkPhysicalFinite(name, i, digital[i], values, header));
  const annotations: Annotations | undefined = files.annotations ? parseMitAnnotations(files.annotations.bytes, files.annotations.path) : undefined;
  if (annotations && files.annotations) checkAnnotationsInRecord(name, annotations, frameCount, files.annotations.path);
  return {
    name, header, samplingFrequency: header.samplingFrequency, frameCount,
    signalNames: header.signals.map((s) => s.description), digital, physical, annotations,
  };
}

/**
 * Only WFDB's invalid-sample marker may become NaN: a gain or baseline that turns a sample into an
 * infinity or NaN would pass it on to the network.
 */
function checkPhysicalFinite(name: string, signal: number, digital: Int32Array, physical: Float32Array, header: WfdbHeader): void {
  const spec = header.signals[signal];
  for (let i = 0; i < physical.length; i++) {
    if (Number.isFinite(physical[i]) || isInvalidSample(digital[i], spec.format)) continue;
    throw new SpikemedError(
      `record ${name}, signal ${signal} (${spec.description || spec.fileName}): gain ${spec.gain} and baseline ${spec.baseline} turn sample ${i} (${digital[i]} ADC units) into ${physical[i]} ${spec.units}`,
      "correct the gain and baseline in the header (e.g. 200(1024)/mV)",
    );
  }
}

/**
 * Annotations outside the signal are refused, not dropped: an annotation file that runs past the
 * end of its record (or before its start) does not describe this signal, whether it belongs to
 * another record or the signal was cut without its annotations, so its labels inside the record
 * cannot be trusted either. No MIT-BIH record has one.
 */
function checkAnnotationsInRecord(name: string, annotations: Annotations, frameCount: number, path: string): void {
  let outside = 0;
  let last = 0;
  for (const sample of annotations.sample) {
    if (sample < 0 || sample >= frameCount) {
      outside++;
      last = sample;
    }
  }
  if (outside > 0) {
    throw new SpikemedError(
      `record ${name}: ${outside} of the ${annotations.sample.length} annotations in ${path} lie outside the record's ${frameCount} samples (e.g. at sample ${last})`,
      "use the annotation file that belongs to this record's signal",
    );
  }
}
