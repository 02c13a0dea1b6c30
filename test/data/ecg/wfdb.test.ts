import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { SpikemedError } from "../../../src/core/errors.js";
import { annotationSymbol, isBeatCode, parseMitAnnotations } from "../../../src/data/ecg/wfdb-annotation.js";
import { parseWfdbHeader } from "../../../src/data/ecg/wfdb-header.js";
import { listRecords, loadRecords, readRecord } from "../../../src/data/ecg/wfdb-record.js";
import { decodeSamples, wfdbChecksum } from "../../../src/data/ecg/wfdb-signal.js";
import { detectBeatsInRecord, labelledBeatsOfRecord } from "../../../src/data/ecg/beats.js";
import { sampleDataDir } from "../../../src/data/ecg/sample-data.js";
import { PUBLISHED_BEAT_COUNTS, SKIP_NO_SHARED, sharedMitdbDir } from "./helpers.js";
import { mitAnnotationBytes, writeWfdbRecord } from "./wfdb-write.js";

const scratch = mkdtempSync(join(tmpdir(), "spikemed-wfdb-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const isError = (pattern: RegExp) => (e: unknown) => e instanceof SpikemedError && pattern.test(e.message);

function beatCount(dir: string, name: string): number {
  const a = readRecord(dir, name, { requireAnnotations: true }).annotations!;
  let beats = 0;
  for (const code of a.code) if (isBeatCode(code)) beats++;
  return beats;
}

test("all 48 MIT-BIH records decode with matching checksums and the published beat counts", { skip: sharedMitdbDir() ? false : SKIP_NO_SHARED }, () => {
  const dir = sharedMitdbDir()!;
  const names = listRecords(dir);
  assert.equal(names.length, 48);
  let total = 0;
  for (const name of names) {
    const beats = beatCount(dir, name); // readRecord throws on any checksum or initial-value mismatch
    assert.equal(beats, PUBLISHED_BEAT_COUNTS[name], `record ${name} beat count`);
    total += beats;
  }
  assert.equal(total, 109494);
});

test("record 100: header fields, physical units and the first annotations", () => {
  const r = readRecord(sampleDataDir(), "100");
  assert.equal(r.samplingFrequency, 360);
  assert.equal(r.frameCount, 650000);
  assert.deepEqual(r.signalNames, ["MLII", "V5"]);
  assert.equal(r.digital[0][0], 995);
  assert.equal(r.digital[1][0], 1011);
  assert.equal(wfdbChecksum(r.digital[0]), -22131);
  assert.ok(Math.abs(r.physical[0][0] - (995 - 1024) / 200) < 1e-6);
  assert.deepEqual(r.header.comments, ["69 M 1085 1629 x1", "Aldomet, Inderal"]);
  const a = r.annotations!;
  assert.equal(annotationSymbol(a.code[0]), "+");
  assert.equal(a.sample[0], 18);
  assert.equal(a.aux.get(0), "(N");
  assert.equal(annotationSymbol(a.code[1]), "N");
  assert.equal(a.sample[1], 77);
  assert.equal(beatCount(sampleDataDir(), "100"), 2273);
});

test("headers: defaults, gain with baseline and units, samples per frame and byte offsets, comments", () => {
  const h = parseWfdbHeader(
    "# leading comment\nrec 3 128/2 5000 12:00:00 01/02/2003\nrec.dat 16x2+24 100(-5)/uV 16 0 12 345 0 ECG lead I\nrec.dat 16+24\nother.dat 80 0 # uncalibrated\n",
    "rec.hea",
  );
  assert.equal(h.recordName, "rec");
  assert.equal(h.samplingFrequency, 128);
  assert.equal(h.sampleCount, 5000);
  assert.equal(h.baseTime, "12:00:00");
  assert.equal(h.baseDate, "01/02/2003");
  assert.deepEqual(h.comments, ["leading comment", "uncalibrated"]);
  const [a, b, c] = h.signals;
  assert.equal(a.format, 16);
  assert.equal(a.samplesPerFrame, 2);
  assert.equal(a.byteOffset, 24);
  assert.equal(a.gain, 100);
  assert.equal(a.baseline, -5);
  assert.equal(a.units, "uV");
  assert.equal(a.initialValue, 12);
  assert.equal(a.checksum, 345);
  assert.equal(a.description, "ECG lead I");
  assert.equal(b.gain, 200);
  assert.equal(b.units, "mV");
  assert.equal(b.initialValue, undefined);
  assert.equal(c.gain, 200, "gain 0 means uncalibrated, read with the default gain");
  assert.equal(parseWfdbHeader("x 1\nx.dat 212\n", "x.hea").samplingFrequency, 250);
  assert.throws(() => parseWfdbHeader("x 2 360\nx.dat 212\n", "x.hea"), isError(/x\.hea: header declares 2 signals but has 1/));
  assert.throws(() => parseWfdbHeader("x/2 2 360\n", "x.hea"), isError(/multi-segment/));
  assert.throws(() => parseWfdbHeader("x 1 360\nx.dat abc\n", "x.hea"), isError(/x\.hea: signal 0: cannot read format field "abc"/));
});

test("hand-worked byte layouts of formats 212, 16, 61, 80, 310 and 311", () => {
  const decode = (format: number, bytes: number[], count: number): number[] => {
    const out = new Int32Array(count);
    decodeSamples(Uint8Array.from(bytes), 0, format, count, out);
    return [...out];
  };
  // 212: 0x123 and 0xFFF (-1): byte 0 = low 8 bits of the first, byte 1 = high nibbles (second's in the top), byte 2 = low 8 of the second.
  assert.deepEqual(decode(212, [0x23, 0xf1, 0xff], 2), [0x123, -1]);
  assert.deepEqual(decode(212, [0x00, 0x08, 0x00], 2), [-2048, 0]);
  assert.deepEqual(decode(16, [0x34, 0x12, 0xff, 0xff], 2), [0x1234, -1]);
  assert.deepEqual(decode(61, [0x12, 0x34, 0x80, 0x00], 2), [0x1234, -32768]);
  assert.deepEqual(decode(80, [0x80, 0x00, 0xff], 3), [0, -128, 127]);
  // 311: samples 5, -1 (0x3FF) and -512 (0x200) in bits 0-9, 10-19, 20-29 of 0x2000_FC05 (LE bytes 05 FC 0F 20).
  assert.deepEqual(decode(311, [0x05, 0xfc, 0x0f, 0x20], 3), [5, -1, -512]);
  // 310: words w0 = (3 << 1) | (low five bits of s2 << 11), w1 = (-2 & 0x3ff) << 1 | (high five bits of s2 << 11), s2 = 37 = 0b00001_00101.
  const w0 = (3 << 1) | (0b00101 << 11);
  const w1 = ((-2 & 0x3ff) << 1) | (0b00001 << 11);
  assert.deepEqual(decode(310, [w0 & 0xff, w0 >> 8, w1 & 0xff, w1 >> 8], 3), [3, -2, 37]);
});

function writeRecord(name: string, format: number, signals: number[][], gain = 200): void {
  writeWfdbRecord(scratch, name, 250, format, signals.map((digital, i) => ({ digital, gain, description: `lead${i}` })));
}

test("annotations written per annot(5) read back: codes, samples, and intervals past 1023 samples through SKIP", () => {
  const samples = [0, 5, 1023, 1024, 3000, 70000 + 3000, 70000 + 3001];
  const codes = [28, 1, 5, 8, 1, 12, 1];
  const a = parseMitAnnotations(mitAnnotationBytes(samples, codes), "written.atr");
  assert.deepEqual([...a.sample], samples);
  assert.deepEqual([...a.code], codes);
  assert.deepEqual([...a.code].map(annotationSymbol), ["+", "N", "V", "A", "N", "/", "N"]);
  // The reference file: record 100's annotations rewritten this way (without subtypes or AUX strings) keep every beat where it was.
  const reference = readRecord(sampleDataDir(), "100").annotations!;
  const again = parseMitAnnotations(mitAnnotationBytes(reference.sample, reference.code), "100 rewritten");
  assert.deepEqual(again.sample, reference.sample);
  assert.deepEqual(again.code, reference.code);
});

test("the annotation writer's bytes, computed by hand from annot(5)", () => {
  // N (code 1) 5 samples in: word 1 << 10 | 5 = 0x0405; V (code 5) 2000 samples later: SKIP (59 << 10 = 0xec00),
  // 2000 = 0x000007d0 high word first, then 5 << 10 = 0x1400; the end: 0x0000. Each word little-endian.
  assert.deepEqual([...mitAnnotationBytes([5, 2005], [1, 5])], [0x05, 0x04, 0x00, 0xec, 0x00, 0x00, 0xd0, 0x07, 0x00, 0x14, 0x00, 0x00]);
  assert.throws(() => mitAnnotationBytes([5, 4], [1, 1]), /annotation 1 at sample 4 comes before 5/);
  assert.throws(() => mitAnnotationBytes([5], [60]), /code 60 of annotation 0 is not an annotation code/);
});

test("synthetic two-signal records round-trip in every format, with checksums verified", () => {
  const ranges: Record<number, number> = { 212: 2047, 16: 32767, 61: 32767, 80: 127, 310: 511, 311: 511 };
  for (const [formatText, limit] of Object.entries(ranges)) {
    const format = Number(formatText);
    for (const frames of [10, 11]) {
      const a = Array.from({ length: frames }, (_, i) => Math.round(limit * Math.sin(i * 1.7)));
      const b = Array.from({ length: frames }, (_, i) => Math.round(-limit * Math.cos(i * 0.9)));
      const name = `f${format}n${frames}`;
      writeRecord(name, format, [a, b]);
      const r = readRecord(scratch, name, { annotator: null });
      assert.deepEqual([...r.digital[0]], a, `format ${format}, ${frames} frames, signal 0`);
      assert.deepEqual([...r.digital[1]], b, `format ${format}, ${frames} frames, signal 1`);
      assert.ok(Math.abs(r.physical[0][1] - a[1] / 200) <= 1e-6 * Math.max(1, Math.abs(a[1] / 200)));
    }
  }
});

test("truncated, corrupted and wrong files give errors naming the record and signal", () => {
  const dir = sampleDataDir();
  const bad = join(scratch, "bad");
  const setup = (): void => {
    rmSync(bad, { recursive: true, force: true });
    mkdirSync(bad, { recursive: true });
    for (const ext of ["hea", "dat", "atr"]) copyFileSync(join(dir, `100.${ext}`), join(bad, `100.${ext}`));
  };
  setup();
  const dat = readFileSync(join(bad, "100.dat"));
  writeFileSync(join(bad, "100.dat"), dat.subarray(0, dat.length - 3000));
  assert.throws(() => readRecord(bad, "100"), isError(/record 100: signal file 100\.dat is truncated: it holds 649000 of 650000 frames/));

  setup();
  const corrupt = Buffer.from(dat);
  corrupt[300000] ^= 0x01; // one bit of a signal-0 sample
  writeFileSync(join(bad, "100.dat"), corrupt);
  assert.throws(() => readRecord(bad, "100"), isError(/record 100, signal 0 \(MLII\): checksum mismatch/));

  setup();
  const shifted = Buffer.from(dat);
  shifted[0] ^= 0x10;
  writeFileSync(join(bad, "100.dat"), shifted);
  assert.throws(() => readRecord(bad, "100"), isError(/record 100, signal 0 \(MLII\): first sample is \d+ but the header says 995/));

  setup();
  copyFileSync(join(dir, "100.atr"), join(bad, "100.hea"));
  assert.throws(() => readRecord(bad, "100"), isError(/100\.hea: not a WFDB header/));

  setup();
  writeFileSync(join(bad, "100.hea"), readFileSync(join(dir, "100.hea"), "utf8").replace(/ 212 /g, " 8 "));
  assert.throws(() => readRecord(bad, "100"), isError(/record 100, signal 0 \(MLII\): WFDB format 8 is not supported/));

  setup();
  const atr = readFileSync(join(dir, "100.atr"));
  writeFileSync(join(bad, "100.atr"), atr.subarray(0, atr.length - 2));
  assert.throws(() => readRecord(bad, "100"), isError(/100\.atr: annotation file ends without the end-of-file marker/));
  writeFileSync(join(bad, "100.atr"), dat.subarray(0, 1000));
  assert.throws(() => readRecord(bad, "100"), isError(/100\.atr: (invalid annotation code|annotation file ends)/));

  assert.throws(() => readRecord(bad, "999"), isError(/record 999: header .*999\.hea not found/));
});

test("annotations: SKIP, NUM, SUB, CHN and AUX (hand-built file)", () => {
  const words: number[] = [];
  const w = (code: number, value: number): void => { words.push((code << 10) | value); };
  w(28, 5); // '+' at 5
  w(63, 5); // AUX, 5 bytes "(AFIB" + pad byte
  const aux = [...Buffer.from("(AFIB"), 0];
  for (let i = 0; i < aux.length; i += 2) words.push(aux[i] | (aux[i + 1] << 8));
  w(1, 100); // N at 105
  w(61, 3); // SUB 3
  w(62, 1); // CHN 1
  w(60, 7); // NUM 7
  w(59, 0); // SKIP 100000 = 0x0001_86A0, high word first
  words.push(0x0001, 0x86a0);
  w(5, 10); // V at 105 + 100000 + 10
  w(1, 1023); // N, keeps chan 1 and num 7
  w(0, 0);
  const bytes = new Uint8Array(words.length * 2);
  words.forEach((v, i) => { bytes[2 * i] = v & 0xff; bytes[2 * i + 1] = v >> 8; });
  const a = parseMitAnnotations(bytes, "hand.atr");
  assert.deepEqual([...a.sample], [5, 105, 100115, 101138]);
  assert.deepEqual([...a.code].map(annotationSymbol), ["+", "N", "V", "N"]);
  assert.equal(a.aux.get(0), "(AFIB");
  assert.deepEqual([...a.subtype], [0, 3, 0, 0]);
  assert.deepEqual([...a.channel], [0, 1, 1, 1]);
  assert.deepEqual([...a.num], [0, 7, 7, 7]);
  assert.throws(() => parseMitAnnotations(bytes.subarray(0, 7), "odd.atr"), isError(/odd\.atr: annotation file has an odd number of bytes/));
});

test("listing a folder and loading records reports the unreadable ones by name", () => {
  const dir = join(scratch, "listing");
  mkdirSync(dir, { recursive: true });
  for (const ext of ["hea", "dat", "atr"]) copyFileSync(join(sampleDataDir(), `100.${ext}`), join(dir, `100.${ext}`));
  writeFileSync(join(dir, "broken.hea"), "broken 1 360 100\nbroken.dat 212 200 11 1024 0 0 0 MLII\n");
  assert.deepEqual(listRecords(dir), ["100", "broken"]);
  const { records, failures } = loadRecords(dir);
  assert.deepEqual(records.map((r) => r.name), ["100"]);
  assert.equal(failures.length, 1);
  assert.equal(failures[0].name, "broken");
  assert.match(failures[0].message, /record broken: cannot read .*broken\.dat/);
  assert.deepEqual(listRecords(sampleDataDir()), ["100", "208", "209", "213", "232"]);
  assert.throws(() => listRecords(join(scratch, "nope")), isError(/data folder .*nope does not exist/));
});

/** A 16-bit one-signal record `r` in a fresh folder of `scratch`: `frames` samples of a sine, the header's record and signal lines as given. */
function smallRecord(folder: string, recordLine: string, signalLine = "r.dat 16 200 16 0", frames = 2000): string {
  const dir = join(scratch, folder);
  mkdirSync(dir, { recursive: true });
  const dat = Buffer.alloc(frames * 2);
  for (let i = 0; i < frames; i++) dat.writeInt16LE(Math.round(100 * Math.sin(i / 10)), 2 * i);
  writeFileSync(join(dir, "r.dat"), dat);
  writeFileSync(join(dir, "r.hea"), `${recordLine}\n${signalLine}\n`);
  return dir;
}

/** MIT-format annotation bytes: a normal beat at each sample. */
function beatAnnotations(samples: number[]): Uint8Array {
  const words: number[] = [];
  let time = 0;
  for (const s of samples) {
    words.push(59 << 10, (s - time) >>> 16, (s - time) & 0xffff); // SKIP to the beat (32 bits, high word first), then N there
    words.push(1 << 10);
    time = s;
  }
  words.push(0);
  const bytes = new Uint8Array(words.length * 2);
  words.forEach((v, i) => { bytes[2 * i] = v & 0xff; bytes[2 * i + 1] = v >> 8; });
  return bytes;
}

test("headers with impossible counts, frequencies, gains or signal file names are refused naming the header", () => {
  const refused: [string, string, RegExp][] = [
    ["r 1 360 -5", "r.dat 16 200 16 0", /r\.hea: record line has a negative number of samples \(-5\)/],
    ["r 1 360 99999999999999999999", "r.dat 16 200 16 0", /r\.hea: record line, number of samples: "99999999999999999999" is not an integer/],
    ...["0", "-360", "NaN", "1e-300", "1e-320", "1e300", "Infinity"].map((f): [string, string, RegExp] =>
      [`r 1 ${f} 2000`, "r.dat 16 200 16 0", new RegExp(`r\\.hea: record line, sampling frequency: "${f}" is not a sampling frequency from`)]),
    ["r 1 360 2000", "r.dat 16 1e-320 16 0", /r\.hea: signal 0: gain "1e-320" is too small to divide by/],
    ...["../../../../etc/passwd", "/etc/passwd", "sub/r.dat", "..\\r.dat", ".."].map((name): [string, string, RegExp] =>
      ["r 1 360 2000", `${name} 16 200 16 0`, /r\.hea: signal 0: signal file name ".*" is not a file in the header's own folder/]),
  ];
  refused.forEach(([recordLine, signalLine, expected], i) => {
    const dir = smallRecord(`refused-${i}`, recordLine, signalLine);
    assert.throws(() => readRecord(dir, "r", { annotator: null }), isError(expected), `${recordLine} / ${signalLine}`);
  });
});

test("a gain or baseline that turns samples into infinities is refused: no non-finite value reaches the network", () => {
  // 1 / 1e-300 is finite, but 100 ADC units x 1e300 overflows the float32 physical values.
  const tiny = smallRecord("tiny-gain", "r 1 360 2000", "r.dat 16 1e-300 16 0");
  assert.throws(() => readRecord(tiny, "r", { annotator: null }), isError(/record r, signal 0 \(r\.dat\): gain 1e-300 and baseline 0 turn sample \d+ \(-?\d+ ADC units\) into -?Infinity mV/));
  const baseline = smallRecord("huge-baseline", "r 1 360 2000", `r.dat 16 200(${"9".repeat(400)})/mV 16 0`);
  // The header refuses a baseline of more than 15 digits (fuzz wfdb-header case 7020 read one as Infinity).
  assert.throws(() => readRecord(baseline, "r", { annotator: null }), isError(/r\.hea.*baseline: "9{400}" is not an integer \(of at most 15 digits\)/));
});

test("records the beat pipeline cannot condition are refused naming the record: rate outside 50-10,000 Hz, too short to denoise", () => {
  // A valid WFDB header (a sample every 10,000 s) that is no ECG.
  const slow = smallRecord("slow", "r 1 0.0001 2000");
  writeFileSync(join(slow, "r.atr"), beatAnnotations([100, 500]));
  assert.throws(() => labelledBeatsOfRecord(readRecord(slow, "r")), isError(/^record r: sampling frequency 0\.0001 Hz is outside the 50-10000 Hz an ECG is read at/));
  assert.throws(() => detectBeatsInRecord(readRecord(slow, "r")), isError(/^record r: sampling frequency 0\.0001 Hz/));
  // 2 s at 360 Hz: db6 at 6 levels needs 11 x 64 = 704 samples, 5.87 s at 120 Hz.
  const short = smallRecord("short", "r 1 360 720", undefined, 720);
  writeFileSync(join(short, "r.atr"), beatAnnotations([100, 500]));
  assert.throws(() => labelledBeatsOfRecord(readRecord(short, "r")), isError(/^record r: 2\.00 s of signal is too short to denoise \(at least 5\.87 s at 120 Hz\)/));
  assert.throws(() => detectBeatsInRecord(readRecord(short, "r")), isError(/^record r: 2\.00 s of signal is too short to denoise/));
  assert.equal(labelledBeatsOfRecord(readRecord(short, "r"), { denoise: false, windowBefore: 10, windowAfter: 10 }).y.length, 2, "without denoising the short record is read");
});

test("annotations outside the record are refused naming the record and how many", () => {
  const dir = smallRecord("past-end", "r 1 360 2000");
  writeFileSync(join(dir, "r.atr"), beatAnnotations([100, 1999]));
  assert.equal(readRecord(dir, "r").annotations!.sample.length, 2, "annotations up to the last sample are kept");
  writeFileSync(join(dir, "r.atr"), beatAnnotations([100, 1999, 2000, 5000]));
  assert.throws(() => readRecord(dir, "r"), isError(/^record r: 2 of the 4 annotations in .*r\.atr lie outside the record's 2000 samples \(e\.g\. at sample 5000\)/));
});
