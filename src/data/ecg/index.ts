export { parseWfdbHeader, type WfdbHeader, type WfdbSignalSpec } from "./wfdb-header.js";
export { SUPPORTED_SIGNAL_FORMATS, decodeSamples, decodeRecordSignals, samplesInBytes, toPhysical, wfdbChecksum } from "./wfdb-signal.js";
export { ANNOTATION_SYMBOLS, annotationSymbol, isBeatCode, parseMitAnnotations, type Annotations } from "./wfdb-annotation.js";
export { listRecords, loadRecords, readHeader, readRecord, type LoadRecordsResult, type ReadRecordOptions, type WfdbRecord } from "./wfdb-record.js";
export { downloadRecords, type DownloadOptions } from "./download.js";
export {
  dwt, dwtCoefficientLength, dwtMaxLevel, getWavelet, idwt, medianAbsolute, thresholdInPlace, wavedec, waveletDenoise,
  waveletNames, waverec, type ThresholdMode, type Wavelet, type WaveletDenoiseOptions, type WaveletMode,
} from "./wavelet.js";
export { bandpassFilter, butterworthSections, filtfilt, medianFilter, removeBaselineWander, resample, type Biquad, type ResampleOptions } from "./filters.js";
export { detectRPeaks, scoreDetections, type DetectionScore, type RPeakOptions } from "./rpeaks.js";
export { evaluateDetectorOnRecord, referenceBeats } from "./rpeak-evaluation.js";
export {
  AAMI_CLASSES, DEFAULT_BEAT_WINDOW, DEFAULT_SAMPLE_RATE, DEFAULT_WINDOW_AFTER, DEFAULT_WINDOW_BEFORE, PACED_RECORDS,
  aamiClassOfSymbol, beatWindowFromSeconds, ECG_RATE_RANGE, beatWindowOptions, describeBeatWindow, detectBeats, detectBeatsInRecord, detectBeatsOfLeads, extractWindows, labelledBeatsOfRecord, normalizeBeat,
  preprocessSignal, resolveLead, resolveLeads, toLargestDeflection, type AamiClass, type BeatNormalization, type BeatWindow, type DetectedBeats, type PreprocessOptions,
  type RecordBeats, type WindowOptions,
} from "./beats.js";
export {
  BEAT_FEATURE_NAMES, FEATURE_FAMILIES, PATIENT_RELATIVE_FEATURES, QRS_WIDTH_FEATURES, RHYTHM_SHAPE_NAMES, SECOND_LEAD_FEATURES, TEMPLATE_FEATURES, beatFeatures, featuresOfFamilies,
  isSecondLeadFeature, selectBeatFeatures,
} from "./beat-features.js";
export { median } from "../../core/stats.js";
export { RR_FAMILY_NAMES, SHAPE_FAMILY_NAMES, UNIFORM_PATTERNS, familySpan, haarApproximation, morphologyDistances, rrFamilies, shapeFamilies, skewKurtosis, uniformLbpHistogram } from "./beat-families.js";
export { SHAPE_SPAN_AFTER_S, SHAPE_SPAN_BEFORE_S, beatShapes, type BeatShapes } from "./beat-shape.js";
export { defaultCacheDir } from "../cache.js";
export { loadBeatDataset, type BeatDataset, type BeatDatasetOptions } from "./dataset.js";
export {
  DEFAULT_VALIDATION_FRACTION, DS1_RECORDS, DS2_RECORDS, balancedSample, classCounts, classWeights, interPatientSplit, intraPatientSplit,
  stratifiedSplit, type InterPatientOptions, type IntraPatientOptions, type Split,
} from "./splits.js";
export { sampleDataDir } from "./sample-data.js";
export { augmentBeat, DEFAULT_BEAT_AUGMENT, type BeatAugmentOptions } from "./augment.js";
