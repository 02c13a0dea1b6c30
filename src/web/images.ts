/**
 * Image files decoded by the browser to the S x S bytes an X-ray network reads, the pixels
 * `spikemed predict` gets from sharp in Node: 8-bit grayscale images exactly; colour images
 * through libvips' own grey conversion (Rec. 709 luminance in linear light, sRGB-encoded), equal
 * up to rounding. A page reads images at 8 bits per sample, so a 16-bit PNG loses its low byte
 * here (Node keeps it until the final quantisation to bytes). DICOM is read with the dicom-parser
 * bundle the caller loads (`spikemed serve`'s page fetches it from its server) by the code Node
 * runs (dicom-decode.ts): uncompressed files give Node's pixels exactly; a baseline JPEG frame is
 * decoded by the browser, not libjpeg through sharp.
 */
import { decodeDicomWith, type DicomParser } from "../data/cxr/dicom-decode.js";
import { BadImageFileError } from "../data/cxr/errors.js";
import { isDicomFile, toSquareBytes } from "../data/cxr/pixels.js";

/**
 * Decodes one image file's bytes (`name` names it in errors) to `size` x `size` bytes, 0 black,
 * 255 white; a DICOM file with `dicomParser` (the dicom-parser package as loaded in the page).
 */
export async function decodeImage(bytes: Uint8Array, name: string, size: number, dicomParser?: DicomParser): Promise<Uint8Array> {
  if (bytes.length === 0) throw new BadImageFileError(name, "empty file (0 bytes)");
  const out = new Uint8Array(size * size);
  if (isDicomFile(bytes, name)) {
    if (!dicomParser) throw new BadImageFileError(name, "DICOM needs the dicom-parser package, which this page did not load; convert it to PNG or use `spikemed predict`");
    toSquareBytes(await decodeDicomWith(dicomParser, browserJpegFrame, bytes, name), size, out);
    return out;
  }
  const { width, height, rgba } = await browserPixels(bytes, name);
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = grey(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]);
  toSquareBytes({ width, height, pixels }, size, out);
  return out;
}

/** An image file's RGBA samples as the browser decodes them. */
async function browserPixels(bytes: Uint8Array, name: string): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }> {
  let bitmap: ImageBitmap;
  try {
    // No colour management and no premultiplied alpha: the file's own sample values, as sharp reads them.
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), { colorSpaceConversion: "none", premultiplyAlpha: "none", imageOrientation: "from-image" });
  } catch (err) {
    throw new BadImageFileError(name, `not an image this browser can decode (${(err as Error).message})`);
  }
  const { width, height } = bitmap;
  const context = new OffscreenCanvas(width, height).getContext("2d", { willReadFrequently: true });
  if (!context) throw new BadImageFileError(name, "this browser gives no 2D canvas to read the pixels from");
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { width, height, rgba: context.getImageData(0, 0, width, height).data };
}

/** A DICOM file's baseline JPEG frame, decoded by the browser: its first channel (the frame is grey). */
async function browserJpegFrame(frame: Uint8Array, maxPixels: number): Promise<{ width: number; height: number; grey: Float64Array }> {
  const { width, height, rgba } = await browserPixels(frame, "the JPEG frame");
  if (width * height > maxPixels) throw new Error(`${width}x${height} pixels, more than ${maxPixels}`);
  return { width, height, grey: Float64Array.from({ length: width * height }, (_, i) => rgba[4 * i]) };
}

/** libvips' sRGB -> grey: luminance of the linear-light channels, encoded back with the sRGB curve. */
function grey(r: number, g: number, b: number): number {
  if (r === g && g === b) return r / 255;
  const y = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  return y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055;
}

function linear(v: number): number {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}
