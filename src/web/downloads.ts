/**
 * A record's predictions as files, without the DOM: a CSV table (one row per beat, the numbers
 * `spikemed predict --json` gives) and a WFDB annotation file (`.pred`) in the MIT format that
 * spikemed's reader and other WFDB tools (rdann, LightWAVE) read.
 */
import { SpikemedError } from "../core/errors.js";
import { ANNOTATION_SYMBOLS, mitAnnotationBytes } from "../data/ecg/wfdb-annotation.js";
import type { ClassifiedBeats } from "./holter.js";

/** One row per beat: index, time, R-peak sample, class and its probability, every class's probability, and the annotated class where one matched. */
export function predictionsCsv(beats: ClassifiedBeats & { probabilities: ArrayLike<number> }, classNames: readonly string[], samplingFrequency: number): string {
  const K = classNames.length;
  const lines = [["beat", "time_s", "sample", "class", "probability", ...classNames.map((c) => `p_${c}`), "reference"].join(",")];
  for (let i = 0; i < beats.labels.length; i++) {
    const label = beats.labels[i];
    const reference = beats.reference?.[i] ?? -1;
    const p = Array.from({ length: K }, (_, k) => String(beats.probabilities[i * K + k]));
    lines.push([i, (beats.sampleOfBeat[i] / samplingFrequency).toFixed(3), beats.sampleOfBeat[i], classNames[label], p[label], ...p, reference >= 0 ? classNames[reference] : ""].join(","));
  }
  return lines.join("\n") + "\n";
}

/**
 * The predicted beats as an MIT-format annotation file: each class written as the WFDB beat code
 * of the same mnemonic (N, S, V, F, Q), the AAMI class a reader maps it back to.
 */
export function predictionAnnotations(beats: Pick<ClassifiedBeats, "sampleOfBeat" | "labels">, classNames: readonly string[]): Uint8Array {
  const codeOf = classNames.map((c) => {
    const code = ANNOTATION_SYMBOLS.indexOf(c);
    if (c === "" || code < 1) throw new SpikemedError(`class "${c}" has no WFDB annotation code`, "download the CSV instead");
    return code;
  });
  return mitAnnotationBytes(beats.sampleOfBeat, Array.from(beats.labels, (l) => codeOf[l]));
}
