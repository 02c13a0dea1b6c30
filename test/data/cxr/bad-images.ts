/** Small hand-made image files that decoders must refuse (or read), built in the tests. */
import zlib from "node:zlib";

/**
 * A 4 x 3 grayscale DICOM data set without the Part 10 header (implicit VR little endian, read by
 * its .dcm name): 16-bit unsigned pixels 0..11, with the rescale and window text given.
 */
export function rawDicom(tags: { slope?: string; intercept?: string; center?: string; width?: string; rows?: number; columns?: number }): Uint8Array {
  const rows = tags.rows ?? 3;
  const columns = tags.columns ?? 4;
  const parts: Buffer[] = [];
  const element = (group: number, item: number, value: Buffer): void => {
    const padded = value.length % 2 ? Buffer.concat([value, Buffer.from(" ")]) : value;
    const head = Buffer.alloc(8);
    head.writeUInt16LE(group, 0);
    head.writeUInt16LE(item, 2);
    head.writeUInt32LE(padded.length, 4);
    parts.push(head, padded);
  };
  const us = (v: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
  element(0x0028, 0x0002, us(1));
  element(0x0028, 0x0004, Buffer.from("MONOCHROME2"));
  element(0x0028, 0x0010, us(rows));
  element(0x0028, 0x0011, us(columns));
  element(0x0028, 0x0100, us(16));
  element(0x0028, 0x0101, us(16));
  element(0x0028, 0x0103, us(0));
  if (tags.center !== undefined) element(0x0028, 0x1050, Buffer.from(tags.center));
  if (tags.width !== undefined) element(0x0028, 0x1051, Buffer.from(tags.width));
  if (tags.intercept !== undefined) element(0x0028, 0x1052, Buffer.from(tags.intercept));
  if (tags.slope !== undefined) element(0x0028, 0x1053, Buffer.from(tags.slope));
  const pixels = Buffer.alloc(2 * rows * columns);
  for (let i = 0; i < rows * columns; i++) pixels.writeUInt16LE(i % 65536, 2 * i);
  element(0x7fe0, 0x0010, pixels);
  return Buffer.concat(parts);
}

/** PNG bytes whose header claims `width` x `height` 8-bit gray pixels, with a few rows of image data only. */
export function claimedPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth; colour type 0 (gray), no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(Buffer.alloc((width + 1) * 4))), chunk("IEND", Buffer.alloc(0))]);
}
