import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import sharp from "sharp";
import { decodeDicom } from "../../../src/data/cxr/dicom.js";
import { decodeImageBytes, decodeImageFile, decodeImageFileToBytes } from "../../../src/data/cxr/decode.js";
import { BadImageFileError } from "../../../src/data/cxr/errors.js";
import { claimedPng, rawDicom } from "./bad-images.js";
import { FIXTURES, maxAbsDiff, readJson } from "./paths.js";

interface DicomCase {
  width: number;
  height: number;
  pixels: number[];
  override?: { window: { center: number; width: number }; pixels: number[] };
}
const dicomExpected = readJson<{ fixtures: Record<string, DicomCase> }>(`${FIXTURES}dicom_expected.json`).fixtures;
const dicomBytes = (name: string): Uint8Array => readFileSync(`${FIXTURES}dicom/${name}`);

const temp = mkdtempSync(join(tmpdir(), "spikemed-cxr-decode-"));
after(() => rmSync(temp, { recursive: true, force: true }));

for (const [name, want] of Object.entries(dicomExpected)) {
  test(`DICOM ${name}: intensities match the generator's independent computation`, async () => {
    const got = await decodeImageBytes(dicomBytes(name), name);
    assert.equal(got.width, want.width);
    assert.equal(got.height, want.height);
    assert.ok(maxAbsDiff(got.pixels, want.pixels) < 1e-6, `max difference ${maxAbsDiff(got.pixels, want.pixels)}`);
    if (want.override) {
      const overridden = await decodeDicom(dicomBytes(name), name, { window: want.override.window });
      assert.ok(maxAbsDiff(overridden.pixels, want.override.pixels) < 1e-6);
    }
  });
}

test("DICOM: the fixtures exercise both polarities and the window clamps", () => {
  // Guards the fixtures themselves: inverted and plain files, pixels below and above the window.
  const all = Object.values(dicomExpected).flatMap((c) => c.pixels);
  assert.ok(all.includes(0) && all.includes(1));
  assert.ok(Object.keys(dicomExpected).some((n) => n.startsWith("mono1")));
});

test("DICOM: truncated pixel data and a cut-off header are bad files, named", async () => {
  const whole = dicomBytes("mono2_u12_rescale_window.dcm");
  for (const cut of [whole.length - 100, 200, 140]) {
    await assert.rejects(decodeImageBytes(whole.subarray(0, cut), "cut.dcm"), (err: unknown) => {
      assert.ok(err instanceof BadImageFileError, String(err));
      assert.equal(err.file, "cut.dcm");
      assert.match(err.message, /^cut\.dcm: /);
      return true;
    });
  }
});

test("DICOM: a compressed transfer syntax it cannot read is named in the error", async () => {
  const bytes = Buffer.from(dicomBytes("mono2_u8_jpeg_baseline_window.dcm"));
  const at = bytes.indexOf("1.2.840.10008.1.2.4.50");
  assert.ok(at > 0);
  bytes.write("1.2.840.10008.1.2.4.90", at, "latin1"); // JPEG 2000, same length
  await assert.rejects(decodeImageBytes(bytes, "j2k.dcm"), /^BadImageFileError: j2k\.dcm: DICOM transfer syntax 1\.2\.840\.10008\.1\.2\.4\.90 \(compressed\) is not supported/);
});

test("PNG 16-bit grayscale (written by Pillow) decodes to value / 65535", async () => {
  const want = readJson<{ cases: Record<string, { width: number; height: number; values: number[] }> }>(`${FIXTURES}image_expected.json`).cases["gray16_9x7.png"];
  const got = await decodeImageBytes(readFileSync(`${FIXTURES}gray16_9x7.png`), "gray16_9x7.png");
  assert.equal(got.width, 9);
  assert.equal(got.height, 7);
  assert.ok(maxAbsDiff(got.pixels, want.values.map((v) => v / 65535)) < 1e-7);
});

test("8-bit PNG and RGB input: gray bytes come back exactly, any size is resampled to S x S", async () => {
  const gray = Buffer.from(Uint8Array.from({ length: 40 * 30 }, (_, i) => (i * 7) % 256));
  const png = await sharp(gray, { raw: { width: 40, height: 30, channels: 1 } }).png().toBuffer();
  const decoded = await decodeImageBytes(png, "g.png");
  assert.ok(maxAbsDiff(decoded.pixels, Array.from(gray, (v) => v / 255)) < 1e-7);
  const rgb = Buffer.alloc(20 * 10 * 3, 200);
  writeFileSync(join(temp, "rgb.jpg"), await sharp(rgb, { raw: { width: 20, height: 10, channels: 3 } }).jpeg({ quality: 95 }).toBuffer());
  const square = await decodeImageFileToBytes(join(temp, "rgb.jpg"), { size: 16 });
  assert.equal(square.length, 256);
  assert.ok(square.every((v) => Math.abs(v - 200) <= 2), "a flat grey RGB JPEG stays flat grey");
  const floats = await decodeImageFile(join(temp, "rgb.jpg"), { size: 16 });
  assert.deepEqual(Array.from(floats), Array.from(square, (v) => Math.fround(v / 255)));
});

test("bad files: empty, text, truncated JPEG, missing, a folder: each a BadImageFileError naming the file", async () => {
  const jpeg = await sharp(Buffer.from(Uint8Array.from({ length: 64 * 64 }, (_, i) => i % 251)), { raw: { width: 64, height: 64, channels: 1 } }).jpeg().toBuffer();
  const files: Record<string, Uint8Array | null> = {
    "empty.png": new Uint8Array(0),
    "notes.txt": Buffer.from("not an image\n"),
    "half.jpg": jpeg.subarray(0, jpeg.length >> 1),
    "fake.dcm": Buffer.from("DICM? no"),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(temp, name), bytes!);
  const reasons: Record<string, RegExp> = {
    "empty.png": /empty file/,
    "notes.txt": /not a decodable image/,
    "half.jpg": /not a decodable image/,
    "fake.dcm": /not a readable DICOM file|no image/,
    "missing.png": /file not found/,
    ".": /is a directory/,
  };
  for (const [name, reason] of Object.entries(reasons)) {
    const path = join(temp, name);
    await assert.rejects(decodeImageFileToBytes(path, { size: 16 }), (err: unknown) => {
      assert.ok(err instanceof BadImageFileError, `${name}: ${String(err)}`);
      assert.equal(err.file, path);
      assert.match(err.reason, reason, name);
      return true;
    });
  }
});

test("DICOM: rescale and window tags that make non-finite values are bad files, named; sound ones decode", async () => {
  const plain = await decodeImageBytes(rawDicom({ slope: "2", intercept: "-5" }), "plain.dcm");
  assert.ok(maxAbsDiff(plain.pixels, Array.from({ length: 12 }, (_, i) => i / 11)) < 1e-6, "min-max window over 2 x value - 5");
  const refused: [Parameters<typeof rawDicom>[0], RegExp][] = [
    [{ slope: "1e308" }, /DICOM Rescale Slope 1e\+308 and Intercept 0 turn the stored values into 0\.\.Infinity/],
    [{ slope: "1e308", intercept: "-1e308" }, /DICOM Rescale Slope 1e\+308 and Intercept -1e\+308 turn the stored values into -1e\+308\.\.Infinity/],
    [{ intercept: "1e309" }, /DICOM Rescale Slope\/Intercept is not a number/],
    [{ slope: "-1e308", intercept: "1e308" }, /DICOM Rescale Slope -1e\+308 and Intercept 1e\+308 turn the stored values into -Infinity\.\.1e\+308/],
    [{ center: "1e999", width: "100" }, /DICOM Window Center Infinity \/ Width 100 is not a finite window/],
    [{ center: "5", width: "1e999" }, /DICOM Window Center 5 \/ Width Infinity is not a finite window/],
  ];
  for (const [tags, reason] of refused) {
    await assert.rejects(decodeImageBytes(rawDicom(tags), "bad.dcm"), (err: unknown) => {
      assert.ok(err instanceof BadImageFileError, `${JSON.stringify(tags)}: ${String(err)}`);
      assert.match(err.message, /^bad\.dcm: /);
      assert.match(err.reason, reason, JSON.stringify(tags));
      return true;
    });
  }
});

test("images of more pixels than the limit are refused before decoding, quickly, with their size and the option that raises it", async () => {
  const huge = claimedPng(16_000, 16_000);
  const start = performance.now();
  await assert.rejects(decodeImageBytes(huge, "huge.png"), (err: unknown) => {
    assert.ok(err instanceof BadImageFileError, String(err));
    assert.equal(err.message, "huge.png: 16000x16000 is 256,000,000 pixels, more than the limit of 50,000,000 (raise it with --max-image-pixels)");
    return true;
  });
  assert.ok(performance.now() - start < 2000, `refused in ${(performance.now() - start).toFixed(0)} ms`);
  // Raised above its size, the same file is read (and found truncated) instead.
  await assert.rejects(decodeImageBytes(huge, "huge.png", { maxPixels: 256_000_000 }), /huge\.png: not a decodable image/);
  // The limit is exact: 9 x 7 = 63 pixels.
  const small = readFileSync(`${FIXTURES}gray16_9x7.png`);
  await assert.rejects(decodeImageBytes(small, "small.png", { maxPixels: 62 }), /small\.png: 9x7 is 63 pixels, more than the limit of 62/);
  assert.equal((await decodeImageBytes(small, "small.png", { maxPixels: 63 })).width, 9);
  // DICOM reads its size from Rows and Columns.
  await assert.rejects(decodeImageBytes(rawDicom({ rows: 3, columns: 4 }), "d.dcm", { maxPixels: 11 }), /d\.dcm: 4x3 is 12 pixels, more than the limit of 11/);
  await assert.rejects(decodeImageBytes(small, "small.png", { maxPixels: 0 }), /option maxPixels: expected a whole number of pixels >= 1 \(got 0\)/);
});
