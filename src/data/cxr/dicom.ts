/**
 * DICOM files decoded in Node (dicom-decode.ts does the work): dicom-parser loaded as a package,
 * baseline JPEG frames decoded by sharp.
 */
import { createRequire } from "node:module";
import sharp from "sharp";
import { decodeDicomWith, type DicomDecodeOptions, type DicomParser } from "./dicom-decode.js";
import type { GrayImage } from "./pixels.js";

export { applyLinearWindow, errorText, type DicomDecodeOptions, type DicomWindow } from "./dicom-decode.js";

// dicom-parser is a UMD bundle: Node's ESM loader exposes it only as a default export.
const dicomParser = createRequire(import.meta.url)("dicom-parser") as DicomParser;

async function sharpJpegFrame(frame: Uint8Array, maxPixels: number): Promise<{ width: number; height: number; grey: Float64Array }> {
  const decoded = await sharp(frame, { failOn: "warning", limitInputPixels: maxPixels }).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = decoded.info;
  return { width, height, grey: Float64Array.from({ length: width * height }, (_, i) => decoded.data[i * channels]) };
}

/**
 * Decodes the first frame of a grayscale DICOM file. `file` names it in errors.
 * Files without the Part 10 header (raw data sets) are read as implicit VR little endian.
 */
export function decodeDicom(bytes: Uint8Array, file: string, options: DicomDecodeOptions = {}): Promise<GrayImage> {
  return decodeDicomWith(dicomParser, sharpJpegFrame, bytes, file, options);
}
