import { SpikemedError } from "../core/errors.js";
import type { ReportTable } from "./report.js";

export interface SubgroupInput {
  /** What the groups are, e.g. "source" (hospital). */
  groupName: string;
  /** Group of each evaluated sample (null: unknown). */
  groupOf: readonly (string | null)[];
  yTrue: ArrayLike<number>;
  yPred: ArrayLike<number>;
  classNames: readonly string[];
}

/**
 * Accuracy within each group of the evaluated samples (e.g. each hospital), with its class mix and
 * its share of all errors: a pooled accuracy can hide a group the model gets wrong, or one it gets
 * right only because that group holds a single class.
 */
export function subgroupTable(input: SubgroupInput): ReportTable {
  const { groupOf, yTrue, yPred, classNames, groupName } = input;
  if (groupOf.length !== yTrue.length || yPred.length !== yTrue.length) {
    throw new SpikemedError(`subgroups: ${groupOf.length} groups, ${yTrue.length} labels and ${yPred.length} predictions must be as many`);
  }
  const groups = new Map<string, { n: number; correct: number; perClass: number[] }>();
  let errors = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const key = groupOf[i] ?? "(unknown)";
    const g = groups.get(key) ?? { n: 0, correct: 0, perClass: classNames.map(() => 0) };
    g.n++;
    g.perClass[yTrue[i]]++;
    if (yTrue[i] === yPred[i]) g.correct++;
    else errors++;
    groups.set(key, g);
  }
  const rows = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, g]) => [
    name, g.n, g.perClass.join(" / "), `${(100 * g.correct / g.n).toFixed(2)}%`,
    errors === 0 ? "-" : `${(100 * (g.n - g.correct) / errors).toFixed(1)}%`,
  ]);
  return {
    title: `accuracy by ${groupName}`,
    columns: [groupName, "samples", `${classNames.join(" / ")}`, "accuracy", "share of errors"],
    rows,
    notes: [`A ${groupName} that holds one class only can be scored right by recognising the ${groupName}, not the condition.`],
  };
}
