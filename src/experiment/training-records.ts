/**
 * Whether a record an ECG run classifies was in the data it was trained on, decided from the
 * records' headers alone, so that `spikemed predict` (reading files) and the served page (given
 * the headers over HTTP) tell the reader the same thing. No Node imports: the page loads it.
 */
import { PACED_RECORDS } from "../data/ecg/beats.js";
import { DS1_RECORDS } from "../data/ecg/splits.js";

/** What of a run's DataSpec (datasets.ts, which imports this module) decides the records it trained on. */
export interface TrainingChoice { task: "ecg" | "cxr"; records?: string[]; includePaced?: boolean; split?: "intra" | "inter" }

/** Whether a record named `name` in the run's data folder would have been among its training records (DS1's for an inter-patient split, whose training and validation they are). */
export function mayBeTrainingRecord(spec: TrainingChoice, name: string): boolean {
  if (spec.task !== "ecg") return false;
  if (spec.records && !spec.records.includes(name)) return false;
  if (!spec.includePaced && PACED_RECORDS.includes(name)) return false;
  return spec.split !== "inter" || DS1_RECORDS.includes(name);
}

/**
 * Whether the record `name` whose header text is `header` was among the records an ECG run's
 * data came from: a record of the same name in the run's data folder, whose header is
 * `trainedHeader` (undefined where it has none), with the same header (which holds the signals'
 * checksums), so a copy elsewhere counts too. Headers as Latin-1 text: equal text, equal bytes.
 */
export function recordInTrainingHeaders(spec: TrainingChoice, name: string, header: string, trainedHeader: string | undefined): boolean {
  return trainedHeader !== undefined && mayBeTrainingRecord(spec, name) && trainedHeader === header;
}

/** The note `spikemed predict` and the page give for a record in the run's training data. */
export function trainingDataNote(record: string): string {
  return `note: record ${record} is in the data this run was trained on: the model has seen its beats, so these predictions overstate how it does on new patients`;
}
