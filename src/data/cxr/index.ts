export { readCxrIndex, MANIFEST_NAME, type CxrEntry, type CxrIndex, type ListOptions } from "./listing.js";
export { decodeImageBytes, decodeImageFile, decodeImageFileToBytes, DEFAULT_IMAGE_SIZE, type DecodeOptions } from "./decode.js";
export { decodeDicom, applyLinearWindow, type DicomWindow, type DicomDecodeOptions } from "./dicom.js";
export { DEFAULT_MAX_IMAGE_PIXELS, hasDicomSignature, intensitiesFromBytes, toSquareBytes, type GrayImage } from "./pixels.js";
export { resizeGray } from "./resize.js";
export { BadImageFileError } from "./errors.js";
export { loadCxrImages, fillBatch, type CxrImages, type LoadOptions, type OnBadFile, type BatchAugment } from "./dataset.js";
export { defaultCacheDir } from "../cache.js";
export { type BadFileReport } from "./cache.js";
export { augmentImage, drawAugmentParams, DEFAULT_AUGMENT, type AugmentOptions, type AugmentParams } from "./augment.js";
export {
  makeSplit,
  splitMixed,
  splitSameSource,
  splitLeaveOneSourceOut,
  sourcesWithAllClasses,
  splitInputFromIndex,
  PROTOCOLS,
  PAPER_FRACTIONS,
  type ProtocolName,
  type ProtocolOptions,
  type SplitFractions,
  type SplitInput,
  type CxrSplit,
} from "./protocols.js";
