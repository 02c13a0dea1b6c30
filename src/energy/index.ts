export type {
  DeviceSpec,
  EnergyEstimate,
  EnergyParts,
  LayerActivity,
  LayerDescription,
  LayerEnergyRow,
  LayerType,
  TwinComparison,
  TwinComparisonRow,
} from "./types.js";
export { DEFAULT_DT, compareWithAnnTwin, estimateEnergy, layerStats, type EstimateOptions, type LayerStats } from "./estimate.js";
export { builtinDevices, loadDeviceCatalog, parseDeviceFile, readDeviceFile, selectDevices, type DeviceCatalog } from "./devices.js";
export {
  DEFAULT_CPU_TDP_WATTS,
  energyPerEpoch,
  energyPerInference,
  measureEnergy,
  startEnergyMeter,
  type EnergyMeasurement,
  type EnergyMeter,
  type EnergyMeterOptions,
  type MeasurementMethod,
} from "./meter.js";
export {
  deviceChartSvg,
  deviceTotalsMarkdown,
  energyMarkdownFile,
  energyReportSection,
  energyTableMarkdown,
  formatCount,
  formatSignificant,
  layerChartSvg,
  measurementMarkdown,
  pricesActivationsAsSpikes,
  twinComparisonMarkdown,
  twinDeviceMarkdown,
  type EnergyReport,
  type EnergyReportInput,
  type MeasuredRun,
  type ReportChart,
} from "./report.js";
