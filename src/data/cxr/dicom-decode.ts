/**
 * DICOM grayscale decoding: stored values -> modality values (rescale slope/intercept)
 * -> VOI linear window (PS3.3 C.11.2.1.2.1) -> [0, 1], inverted for MONOCHROME1 so that
 * 1 is always white (dense tissue bright, as on a displayed radiograph).
 * Parsing of the file structure is done by `dicom-parser` (cornerstone), handed in by the caller:
 * Node loads the package (dicom.ts), a page the same bundle over HTTP (src/web). Only uncompressed
 * transfer syntaxes and baseline JPEG (decoded by the caller: sharp, or the browser) are read,
 * others are reported. No Node APIs.
 */
import { SpikemedError } from "../../core/errors.js";
import { BadImageFileError } from "./errors.js";
import { hasDicomSignature, maxImagePixels, tooManyPixels, type GrayImage } from "./pixels.js";

/** The dicom-parser package's functions, however it was loaded. */
export type DicomParser = Pick<typeof import("dicom-parser"), "parseDicom" | "readEncapsulatedImageFrame">;
type DataSet = import("dicom-parser").DataSet;

/** Decodes one baseline JPEG frame (at most `maxPixels`) to its grey values, row by row. */
export type JpegFrameDecoder = (frame: Uint8Array, maxPixels: number) => Promise<{ width: number; height: number; grey: Float64Array }>;

/** A VOI window in modality units (after rescale), overriding the one stored in the file. */
export interface DicomWindow {
  center: number;
  width: number;
}

export interface DicomDecodeOptions {
  /** Use this window instead of the file's Window Center/Width (or its min-max when it has none). */
  window?: DicomWindow;
  /** Images of more pixels than this are refused (default DEFAULT_MAX_IMAGE_PIXELS). */
  maxPixels?: number;
}

const IMPLICIT_LITTLE = "1.2.840.10008.1.2";
const EXPLICIT_LITTLE = "1.2.840.10008.1.2.1";
const EXPLICIT_BIG = "1.2.840.10008.1.2.2";
const JPEG_BASELINE = "1.2.840.10008.1.2.4.50";

/**
 * Decodes the first frame of a grayscale DICOM file with `parser` (dicom-parser, as Node or a page
 * loads it) and `decodeJpeg` for a baseline JPEG frame. `file` names it in errors. Files without
 * the Part 10 header (raw data sets) are read as implicit VR little endian.
 */
export async function decodeDicomWith(parser: DicomParser, decodeJpeg: JpegFrameDecoder, bytes: Uint8Array, file: string, options: DicomDecodeOptions = {}): Promise<GrayImage> {
  const bad = (reason: string): BadImageFileError => new BadImageFileError(file, reason);
  let ds: DataSet;
  try {
    ds = hasDicomSignature(bytes)
      ? parser.parseDicom(bytes)
      : parser.parseDicom(bytes, { TransferSyntaxUID: IMPLICIT_LITTLE });
  } catch (err) {
    throw bad(`not a readable DICOM file (${errorText(err)})`);
  }
  // dicom-parser reads an element's value only when asked, and throws when a damaged length points
  // past the end of the file: such a tag makes the file bad, named like any other.
  const read = <T>(get: () => T): T => {
    try {
      return get();
    } catch (err) {
      throw bad(`a DICOM tag cannot be read (${errorText(err)})`);
    }
  };
  const transferSyntax = read(() => ds.string("x00020010")) ?? IMPLICIT_LITTLE;
  const rows = read(() => ds.uint16("x00280010"));
  const columns = read(() => ds.uint16("x00280011"));
  const bitsAllocated = read(() => ds.uint16("x00280100"));
  const pixelElement = ds.elements["x7fe00010"];
  if (!rows || !columns || !bitsAllocated || !pixelElement) {
    throw bad("DICOM file has no image (Rows, Columns, Bits Allocated or Pixel Data missing)");
  }
  const samplesPerPixel = read(() => ds.uint16("x00280002")) ?? 1;
  const photometric = (read(() => ds.string("x00280004")) ?? "MONOCHROME2").trim().toUpperCase();
  if (samplesPerPixel !== 1 || (photometric !== "MONOCHROME1" && photometric !== "MONOCHROME2")) {
    throw bad(`DICOM photometric interpretation ${photometric} with ${samplesPerPixel} samples per pixel is not supported (grayscale MONOCHROME1/MONOCHROME2 only)`);
  }
  const bitsStored = read(() => ds.uint16("x00280101")) ?? bitsAllocated;
  const signed = read(() => ds.uint16("x00280103")) === 1;
  if (bitsStored < 1 || bitsStored > bitsAllocated) throw bad(`DICOM Bits Stored ${bitsStored} is not within 1..Bits Allocated (${bitsAllocated})`);
  const maxPixels = maxImagePixels(options);
  const tooLarge = tooManyPixels(columns, rows, maxPixels);
  if (tooLarge) throw bad(tooLarge);
  const count = rows * columns;

  let stored: Float64Array;
  if (transferSyntax === IMPLICIT_LITTLE || transferSyntax === EXPLICIT_LITTLE || transferSyntax === EXPLICIT_BIG) {
    if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) {
      throw bad(`DICOM Bits Allocated ${bitsAllocated} is not supported (8, 16 or 32)`);
    }
    const needed = count * (bitsAllocated / 8);
    const available = Math.min(pixelElement.length, bytes.length - pixelElement.dataOffset);
    if (available < needed) throw bad(`DICOM pixel data is truncated: ${Math.max(available, 0)} bytes for ${columns}x${rows} pixels of ${bitsAllocated} bits (${needed} bytes)`);
    stored = readStoredValues(bytes, pixelElement.dataOffset, count, bitsAllocated, bitsStored, signed, transferSyntax !== EXPLICIT_BIG);
  } else if (transferSyntax === JPEG_BASELINE) {
    stored = await readBaselineJpegFrame(parser, decodeJpeg, ds, pixelElement, columns, rows, maxPixels, bad);
  } else {
    throw bad(`DICOM transfer syntax ${transferSyntax} (compressed) is not supported; convert the file to uncompressed first (e.g. gdcmconv --raw or dcmdjpeg)`);
  }

  const slope = read(() => ds.floatString("x00281053")) ?? 1;
  const intercept = read(() => ds.floatString("x00281052")) ?? 0;
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) throw bad("DICOM Rescale Slope/Intercept is not a number");
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const m = stored[i] * slope + intercept;
    stored[i] = m;
    if (m < min) min = m;
    if (m > max) max = m;
  }
  // A slope like 1e308 overflows the modality values (or their range), and no window maps infinities.
  if (!Number.isFinite(max - min + 1)) {
    throw bad(`DICOM Rescale Slope ${slope} and Intercept ${intercept} turn the stored values into ${min}..${max}, beyond what a window can map; the file's rescale tags are corrupt`);
  }

  let window = options.window;
  if (!window) {
    const center = read(() => ds.floatString("x00281050", 0));
    const width = read(() => ds.floatString("x00281051", 0));
    if (center !== undefined && width !== undefined) {
      if (!Number.isFinite(center) || !Number.isFinite(width)) throw bad(`DICOM Window Center ${center} / Width ${width} is not a finite window; the file's window tags are corrupt`);
      if (width >= 1) window = { center, width };
    }
  } else if (!Number.isFinite(window.center) || !Number.isFinite(window.width) || window.width < 1) {
    throw new SpikemedError(`DICOM window override: center ${window.center}, width ${window.width} is not a window (a finite center and a width of at least 1)`);
  }
  // Without a window the full modality range is shown: this window maps min -> 0 and max -> 1.
  if (!window) window = { center: min + (max - min + 1) / 2, width: max - min + 1 };

  const pixels = new Float32Array(count);
  applyLinearWindow(stored, window, photometric === "MONOCHROME1", pixels);
  return { width: columns, height: rows, pixels };
}

/**
 * The DICOM VOI LINEAR function onto [0, 1]:
 * x <= c - 0.5 - (w-1)/2 -> 0; x > c - 0.5 + (w-1)/2 -> 1; else ((x - (c - 0.5)) / (w-1) + 0.5).
 */
export function applyLinearWindow(values: ArrayLike<number>, window: DicomWindow, invert: boolean, out: Float32Array): Float32Array {
  const { center, width } = window;
  if (!(width >= 1) || !Number.isFinite(center)) throw new RangeError(`window width must be >= 1 and center finite (got center ${center}, width ${width})`);
  const low = center - 0.5 - (width - 1) / 2;
  const high = center - 0.5 + (width - 1) / 2;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const y = x <= low ? 0 : x > high ? 1 : (x - (center - 0.5)) / (width - 1) + 0.5;
    out[i] = invert ? 1 - y : y;
  }
  return out;
}

function readStoredValues(
  bytes: Uint8Array,
  offset: number,
  count: number,
  bitsAllocated: number,
  bitsStored: number,
  signed: boolean,
  littleEndian: boolean,
): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * (bitsAllocated / 8));
  const out = new Float64Array(count);
  // Bits above Bits Stored may hold overlays or junk: mask them off, then sign-extend.
  const range = 2 ** bitsStored;
  const signBit = range / 2;
  for (let i = 0; i < count; i++) {
    const raw = bitsAllocated === 8 ? view.getUint8(i) : bitsAllocated === 16 ? view.getUint16(2 * i, littleEndian) : view.getUint32(4 * i, littleEndian);
    let v = raw % range;
    if (signed && v >= signBit) v -= range;
    out[i] = v;
  }
  return out;
}

async function readBaselineJpegFrame(
  parser: DicomParser,
  decodeJpeg: JpegFrameDecoder,
  ds: DataSet,
  pixelElement: import("dicom-parser").Element,
  columns: number,
  rows: number,
  maxPixels: number,
  bad: (reason: string) => BadImageFileError,
): Promise<Float64Array> {
  let frame: Uint8Array;
  try {
    frame = parser.readEncapsulatedImageFrame(ds, pixelElement, 0);
  } catch (err) {
    throw bad(`DICOM encapsulated JPEG frame cannot be read (${errorText(err)})`);
  }
  let decoded: { width: number; height: number; grey: Float64Array };
  try {
    decoded = await decodeJpeg(frame, maxPixels);
  } catch (err) {
    throw bad(`DICOM JPEG frame cannot be decoded (${errorText(err)})`);
  }
  if (decoded.width !== columns || decoded.height !== rows) {
    throw bad(`DICOM JPEG frame is ${decoded.width}x${decoded.height} but Columns x Rows say ${columns}x${rows}`);
  }
  return decoded.grey;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
