export { accuracyByGroup, beatData, prepareData, type DataSpec, type PreparedData } from "./datasets.js";
export { exampleBatches, runExperiment, type Balance, type ExperimentOptions, type SeedResult } from "./run.js";
export { loadRun, saveRun, type RunManifest } from "./saved-run.js";
