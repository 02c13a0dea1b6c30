/** Scoring the R-peak detector against a record's reference beat annotations. */
import { SpikemedError } from "../../core/errors.js";
import { isBeatCode } from "./wfdb-annotation.js";
import type { WfdbRecord } from "./wfdb-files.js";
import { detectRPeaks, scoreDetections, type DetectionScore, type RPeakOptions } from "./rpeaks.js";

const VF_ONSET = 32;
const VF_END = 33;

/** Reference beat samples of a record, minus those inside ventricular flutter/fibrillation episodes. */
export function referenceBeats(record: WfdbRecord): { beats: Int32Array; excluded: Array<[number, number]> } {
  const a = record.annotations;
  if (!a) throw new SpikemedError(`record ${record.name}: no reference annotations to score against`);
  const excluded: Array<[number, number]> = [];
  let onset = -1;
  const beats: number[] = [];
  for (let i = 0; i < a.code.length; i++) {
    if (a.code[i] === VF_ONSET) onset = a.sample[i];
    else if (a.code[i] === VF_END && onset >= 0) {
      excluded.push([onset, a.sample[i]]);
      onset = -1;
    } else if (onset < 0 && isBeatCode(a.code[i])) beats.push(a.sample[i]);
  }
  if (onset >= 0) excluded.push([onset, record.frameCount]);
  return { beats: Int32Array.from(beats), excluded };
}

/** Detects R peaks on one signal of the record and scores them with the 150 ms window. */
export function evaluateDetectorOnRecord(record: WfdbRecord, signalIndex = 0, options: RPeakOptions = {}): DetectionScore {
  const { beats, excluded } = referenceBeats(record);
  const detected = detectRPeaks(record.physical[signalIndex], record.samplingFrequency, options);
  const kept = detected.filter((s) => !excluded.some(([from, to]) => s >= from && s <= to));
  return scoreDetections(beats, kept, Math.round(0.15 * record.samplingFrequency));
}
