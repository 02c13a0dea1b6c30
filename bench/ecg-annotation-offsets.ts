/**
 * How far MIT-BIH's beat annotations sit from the largest deflection of the conditioned signal
 * (within 50 ms, at the 120 Hz window rate), per AAMI class, over the DS1 records: the reason
 * shape features are measured at the detector's peaks, not at the marks (bench/results/ecg-inter.md).
 * Usage: node dist/bench/ecg-annotation-offsets.js [MITDB_DIR]
 */
import {
  AAMI_CLASSES, DS1_RECORDS, aamiClassOfSymbol, annotationSymbol, preprocessSignal, readRecord, resolveLead, toLargestDeflection,
} from "../src/data/ecg/index.js";

const dir = process.argv[2] ?? "../shared/data/mitdb";
const rate = 120;
const stats = AAMI_CLASSES.map(() => ({ beats: 0, moved: 0, offsetSum: 0 }));
for (const name of DS1_RECORDS) {
  const record = readRecord(dir, name);
  const signal = preprocessSignal(record.physical[resolveLead(record)], record.samplingFrequency, { sampleRate: rate });
  const a = record.annotations!;
  const marks = Array.from(a.sample, (sample) => Math.round((sample * rate) / record.samplingFrequency));
  // Where the beat paths put the R peak: the largest deflection within 50 ms.
  const aligned = toLargestDeflection(signal, marks, rate);
  for (let i = 0; i < a.code.length; i++) {
    const cls = aamiClassOfSymbol(annotationSymbol(a.code[i]));
    if (cls < 0) continue;
    const mark = marks[i];
    const best = aligned[i];
    stats[cls].beats++;
    if (best !== mark) stats[cls].moved++;
    stats[cls].offsetSum += Math.abs(best - mark);
  }
}
console.log(`| class | DS1 beats | marks off the largest deflection | mean offset (samples at ${rate} Hz) |`);
console.log("| :--- | ---: | ---: | ---: |");
stats.forEach((s, c) => {
  if (s.beats > 0) console.log(`| ${AAMI_CLASSES[c]} | ${s.beats} | ${((100 * s.moved) / s.beats).toFixed(1)}% | ${(s.offsetSum / s.beats).toFixed(2)} |`);
});
