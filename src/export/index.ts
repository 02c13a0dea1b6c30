export { DEFAULT_NIR_DT, toNirGraph, type NirExportOptions, type NirGraph, type NirNode, type NirNodeType, type NirValue } from "./nir.js";
export { describeNir, exportNir, importNir, readNirFile, NIR_VERSION, writeNirFile, type NirSummary } from "./nir-file.js";
export { fromNirGraph, simulateSteps, type ImportedNir, type NirImportOptions, type SpikemedNodeLayer } from "./nir-import.js";
