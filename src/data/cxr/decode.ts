/**
 * One image file -> S x S grayscale bytes. PNG, JPEG (and the other formats libvips reads:
 * TIFF, WebP, GIF) are decoded by sharp at 16 bits per sample; DICOM by ./dicom.ts.
 * The format is recognised from the content, not the extension (except for DICOM data sets
 * without the Part 10 header, recognised by a .dcm/.dicom extension).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import sharp from "sharp";
import { decodeDicom, errorText, type DicomWindow } from "./dicom.js";
import { SpikemedError } from "../../core/errors.js";
import { BadImageFileError } from "./errors.js";
import { intensitiesFromBytes, isDicomFile, maxImagePixels, tooManyPixels, toSquareBytes, type GrayImage } from "./pixels.js";

export interface DecodeOptions {
  /** Output side S: every image becomes S x S. Default 256. */
  size?: number;
  /** Overrides the DICOM window (modality units); ignored for other formats. */
  dicomWindow?: DicomWindow;
  /** Images of more pixels than this are bad files, refused before decoding. Default DEFAULT_MAX_IMAGE_PIXELS. */
  maxPixels?: number;
}

export const DEFAULT_IMAGE_SIZE = 256;

/**
 * The versions of the libraries that turn files into pixels (sharp, its libvips and codecs,
 * dicom-parser): another version may decode or resize differently, so decoded images are
 * cached under them.
 */
export function decoderVersions(): Record<string, string> {
  const { sharp: sharpVersion, vips, png, mozjpeg, tiff, webp } = sharp.versions as Record<string, string | undefined>;
  const dicomParser = (createRequire(import.meta.url)("dicom-parser/package.json") as { version: string }).version;
  return Object.fromEntries(Object.entries({ sharp: sharpVersion, vips, png, mozjpeg, tiff, webp, "dicom-parser": dicomParser })
    .filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Decodes image bytes at their own size, intensities in [0, 1]. Throws BadImageFileError naming `file`. */
export async function decodeImageBytes(bytes: Uint8Array, file: string, options: DecodeOptions = {}): Promise<GrayImage> {
  if (bytes.length === 0) throw new BadImageFileError(file, "empty file (0 bytes)");
  const maxPixels = maxImagePixels(options);
  if (isDicomFile(bytes, file)) {
    return decodeDicom(bytes, file, { window: options.dicomWindow, maxPixels });
  }
  // failOn "warning" turns truncated or damaged data into an error instead of a grey-filled image;
  // limitInputPixels refuses an oversized image from its header, before decoding it.
  const decoded = await sharp(bytes, { failOn: "warning", limitInputPixels: maxPixels })
    .autoOrient()
    .toColourspace("grey16")
    .raw({ depth: "ushort" })
    .toBuffer({ resolveWithObject: true })
    .catch(async (err: unknown) => {
      const size = await sharp(bytes, { limitInputPixels: false }).metadata().catch(() => null);
      const tooLarge = size?.width && size.height ? tooManyPixels(size.width, size.height, maxPixels) : null;
      throw new BadImageFileError(file, tooLarge ?? `not a decodable image (${errorText(err)})`);
    });
  const { width, height, channels } = decoded.info;
  const samples = new Uint16Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length / 2);
  const pixels = new Float32Array(width * height);
  // grey16 output may keep an alpha channel: the first channel is the intensity.
  for (let i = 0; i < pixels.length; i++) pixels[i] = samples[i * channels] / 65535;
  return { width, height, pixels };
}

/** Reads and decodes one file to S x S bytes. Missing or unreadable files are BadImageFileErrors. */
export async function decodeImageFileToBytes(path: string, options: DecodeOptions = {}, out?: Uint8Array, offset = 0): Promise<Uint8Array> {
  const size = checkImageSize(options.size ?? DEFAULT_IMAGE_SIZE, "size");
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BadImageFileError(path, code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory, not an image file" : `cannot be read (${errorText(err)})`);
  }
  const image = await decodeImageBytes(bytes, path, options);
  const target = out ?? new Uint8Array(size * size);
  toSquareBytes(image, size, target, out ? offset : 0);
  return target;
}

/**
 * One image file as the network sees it: S x S floats in [0, 1], quantised to 1/255 steps exactly
 * like the stored training images (so prediction inputs match training inputs).
 */
export async function decodeImageFile(path: string, options: DecodeOptions = {}): Promise<Float32Array> {
  return intensitiesFromBytes(await decodeImageFileToBytes(path, options));
}

export function checkImageSize(size: number, optionName: string): number {
  if (!Number.isInteger(size) || size < 8 || size > 4096) {
    throw new SpikemedError(`option ${optionName}: image size must be an integer from 8 to 4096 (got ${size})`);
  }
  return size;
}
