export { DEFAULT_NIR_DT, toNirGraph, type NirExportOptions, type NirGraph, type NirNode, type NirNodeType, type NirValue } from "./nir.js";
export { describeNir, exportNir, NIR_VERSION, writeNirFile, type NirSummary } from "./nir-file.js";
