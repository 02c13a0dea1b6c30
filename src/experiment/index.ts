export { accuracyByGroup, beatData, prepareData, recordInTrainingData, splitCautions, trainingHeaders, type DataSpec, type PreparedData } from "./datasets.js";
export { crossValidationFolds, type CrossValidationPlan, type Fold } from "./folds.js";
export { balanceSettings, exampleBatches, runExperiment, testProbabilities, type Balance, type ExperimentOptions, type SeedResult } from "./run.js";
export { initializeFromRun, loadRun, saveRun, type RunManifest } from "./saved-run.js";
export { predictRecordBeats, recordBeats, type RecordPrediction } from "./record-predictions.js";
export { beatEvidence, beatRows, type BeatEvidence, type BeatRows } from "./beat-evidence.js";
export { imageSize, predictImageBytes } from "./image-predictions.js";
export {
  compareStreamWithPredict, DEFAULT_STREAM_SETTINGS, endStream, initialStreamState, openEcgStream, stepBeat, streamChunk, streamLatency, streamRecord,
  type EcgStream, type StreamAgreement, type StreamedBeat, type StreamLatency, type StreamSettings, type StreamState,
} from "./stream.js";
export {
  SEARCH_OBJECTIVES, describeObjective, describeValues, parseObjective, openSearch, openSharedSearch, searchHyperparameters, type SearchObjective, type SearchOptions, type SearchResult, type SearchTrial, type TrialResult,
} from "./search.js";
export {
  EXTERNAL_SPLIT, evaluateExternal, evaluateExternalSeeds, externalAdaptation, holdsRunRecords, leadsOfRecord, prepareExternalEcg, recordsOfRun, seedRunDirs,
  type ExternalAdaptation, type ExternalData, type ExternalEvaluation, type ExternalSeedsEvaluation,
} from "./external.js";
export { LOCAL_BEATS_STAGE, SELF_TRAINING_STAGE, adaptLocally, combineProbabilities, localBeatsProbabilities, localPriorProbabilities, shiftPrior, neighbourProbabilities, selfTrainingProbabilities } from "./adapt-local.js";
export { DEFAULT_ADAPT_MINUTES, PATIENT_SPECIFIC, adaptedProbabilities, describeFirstMinutes, firstMinutesSplit, predictAdaptedByGroup, withAdaptedNetwork, type EcgAdaptation, type FirstMinutesSplit } from "./adapt.js";
export { readNumber, type NumberBounds } from "./numbers.js";
export { RECIPES, checkRecipeStart, withRecipe, type RecipeName } from "./recipes.js";
export {
  defaultBeatSeconds, experimentSettings, normalizeClassWeights, parseAugmentSettings, parseLeads, validationHint, type ExperimentChoices, type ExperimentSettings,
} from "./settings.js";
export { MODEL_SETTINGS, TRAINING_SETTINGS, choiceOf, searchTrials, type Grid } from "./trials.js";
export { importNirRun, type NirRunOptions } from "./nir-run.js";
export { mayBeTrainingRecord, recordInTrainingHeaders, trainingDataNote } from "./training-records.js";
