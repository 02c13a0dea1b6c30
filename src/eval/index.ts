export {
  accuracy,
  argmaxRows,
  classificationMetrics,
  cohenKappa,
  confusionMatrix,
  describeOneClassAnswer,
  describeUndefinedMetrics,
  metricsFromConfusion,
  oneClassAnswered,
  RocRanking,
  rocAuc,
  rocAucOneVsRest,
  rocCurveBinary,
  thinCurve,
} from "./metrics.js";
export type {
  ClassMetrics,
  ClassificationMetrics,
  LabelArray,
  OneVsRestAuc,
  RocCurve,
  ScoreArray,
  Weights,
} from "./metrics.js";
export {
  bootstrapCi,
  bootstrapMany,
  pairedBySeed,
  quantileSorted,
  studentTCdf,
  studentTQuantile,
  summarizeSeeds,
} from "./stats.js";
export type { BootstrapOptions, BootstrapSettings, Interval, PairedDifference, SeedSummary } from "./stats.js";
export { evaluateClassifier, summarizeEvaluations } from "./evaluate.js";
export type { ClassEvaluation, ClassificationEvaluation, EvaluateInput, RocCurvePoints, SeedAggregate } from "./evaluate.js";
export {
  accuracyEnergySection,
  compareReportsMarkdown,
  compareRuns,
  reportJoules,
  headlineEvaluation,
  labelledReports,
  readRunReport,
  renderMarkdown,
  writeRunReport,
  REPORT_FORMAT,
  REPORT_VERSION,
} from "./report.js";
// Reports and plots are written atomically; the commands that write them take the writer from here.
export { writeFileAtomic } from "../data/atomic-file.js";
export { subgroupTable } from "./subgroups.js";
export { paretoFront, tradeOffSection, type TradeOffPoint } from "./tradeoff.js";
export type { SubgroupInput } from "./subgroups.js";
export type { ReportTable, EpochRecord, NamedEvaluation, RunReport, RunReportInput, Timing } from "./report.js";
export { barChartSvg, confusionMatrixSvg, lineChartSvg, panelsSvg, rocCurvesSvg, tradeOffSvg } from "./plots.js";
export type {
  BarChartOptions,
  ConfusionMatrixPlotOptions,
  LineChartOptions,
  LinePanelOptions,
  LineSeries,
  RocPlotOptions,
} from "./plots.js";
export { borderShare, occlusionMap, occlusionOverlay, replacementDrops, signalSegments } from "./occlusion.js";
export type { OcclusionMap, OcclusionOptions, Replacement, ReplacementDrops } from "./occlusion.js";
