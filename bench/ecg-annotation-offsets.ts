/**
 * How far MIT-BIH's beat annotations sit from the largest deflection of the conditioned signal
 * (within 50 ms, at the 120 Hz window rate), per AAMI class, over the DS1 records: the reason
 * shape features are measured at the detector's peaks, not at the marks (bench/results/ecg-inter.md).
 * Usage: node dist/bench/ecg-annotation-offsets.js [MITDB_DIR]
 */
import { AAMI_CLASSES, DS1_RECORDS, aamiClassOfSymbol, annotationSymbol, preprocessSignal, readRecord, resolveLead } from "../src/data/ecg/index.js";

const dir = process.argv[2] ?? "../shared/data/mitdb";
const rate = 120;
const reach = Math.round(0.05 * rate);
const stats = AAMI_CLASSES.map(() => ({ beats: 0, moved: 0, offsetSum: 0 }));
for (const name of DS1_RECORDS) {
  const record = readRecord(dir, name);
  const signal = preprocessSignal(record.physical[resolveLead(record)], record.samplingFrequency, { targetFrequency: rate });
  const a = record.annotations!;
  for (let i = 0; i < a.code.length; i++) {
    const cls = aamiClassOfSymbol(annotationSymbol(a.code[i]));
    if (cls < 0) continue;
    const mark = Math.round((a.sample[i] * rate) / record.samplingFrequency);
    let best = mark;
    for (let k = Math.max(0, mark - reach); k <= Math.min(signal.length - 1, mark + reach); k++) if (Math.abs(signal[k]) > Math.abs(signal[best])) best = k;
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
