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
  /** What a sample is, for the column of counts (default "samples"; ECG: "beats"). */
  unit?: string;
  /**
   * Classes whose sensitivity (Se) and positive predictivity (+P) each group gets, as AAMI EC57's
   * record-by-record table gives them for S and V beats; with them, the table ends with the gross
   * (pooled) and average (mean over groups) rows.
   */
  detailClasses?: readonly string[];
}

interface GroupCounts {
  n: number;
  correct: number;
  /** Samples of each true class, answers of each class, and the right answers of each class. */
  support: number[];
  predicted: number[];
  hits: number[];
}

const share = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
const percent = (v: number | null): string => (v === null ? "-" : `${(100 * v).toFixed(2)}%`);

/**
 * Accuracy within each group of the evaluated samples (e.g. each hospital or ECG record), with its
 * class mix, its share of all errors and, for `detailClasses`, each class's Se and +P: a pooled
 * accuracy can hide a group the model gets wrong, or one it gets right only because that group
 * holds a single class. Se and +P are "-" where undefined (0/0).
 */
export function subgroupTable(input: SubgroupInput): ReportTable {
  const { groupOf, yTrue, yPred, classNames, groupName } = input;
  if (groupOf.length !== yTrue.length || yPred.length !== yTrue.length) {
    throw new SpikemedError(`subgroups: ${groupOf.length} groups, ${yTrue.length} labels and ${yPred.length} predictions must be as many`);
  }
  const detail = (input.detailClasses ?? []).map((name) => {
    const k = classNames.indexOf(name);
    if (k < 0) throw new SpikemedError(`subgroups: no class "${name}" to detail (classes: ${classNames.join(", ")})`);
    return k;
  });
  const empty = (): GroupCounts => ({ n: 0, correct: 0, support: classNames.map(() => 0), predicted: classNames.map(() => 0), hits: classNames.map(() => 0) });
  const groups = new Map<string, GroupCounts>();
  const pooled = empty();
  for (let i = 0; i < yTrue.length; i++) {
    const key = groupOf[i] ?? "(unknown)";
    const g = groups.get(key) ?? empty();
    groups.set(key, g);
    for (const counts of [g, pooled]) {
      counts.n++;
      counts.support[yTrue[i]]++;
      counts.predicted[yPred[i]]++;
      if (yTrue[i] === yPred[i]) {
        counts.correct++;
        counts.hits[yTrue[i]]++;
      }
    }
  }
  const errors = pooled.n - pooled.correct;
  const detailCells = (g: GroupCounts): string[] => detail.flatMap((k) => [percent(share(g.hits[k], g.support[k])), percent(share(g.hits[k], g.predicted[k]))]);
  const sorted = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  const rows: (string | number)[][] = sorted.map(([name, g]) => [
    name, g.n, g.support.join(" / "), percent(g.correct / g.n), ...detailCells(g),
    errors === 0 ? "-" : `${(100 * (g.n - g.correct) / errors).toFixed(1)}%`,
  ]);
  const notes = [`A ${groupName} that holds one class only can be scored right by recognising the ${groupName}, not the condition.`];
  if (detail.length > 0) {
    const mean = (values: (number | null)[]): number | null => {
      const defined = values.filter((v): v is number => v !== null);
      return defined.length > 0 ? defined.reduce((a, b) => a + b, 0) / defined.length : null;
    };
    const all = sorted.map(([, g]) => g);
    rows.push(
      ["gross (pooled)", pooled.n, pooled.support.join(" / "), percent(pooled.correct / pooled.n), ...detailCells(pooled), errors === 0 ? "-" : "100.0%"],
      [`average (${all.length} ${groupName}s)`, "", "", percent(mean(all.map((g) => g.correct / g.n))),
        ...detail.flatMap((k) => [percent(mean(all.map((g) => share(g.hits[k], g.support[k])))), percent(mean(all.map((g) => share(g.hits[k], g.predicted[k]))))]), ""],
    );
    notes.push(
      "Se: sensitivity, TP / (TP + FN); +P: positive predictivity, TP / (TP + FP); \"-\" where a value is 0/0 (no such " +
        `samples, or none predicted). Gross: every ${groupName}'s samples pooled; average: the mean over the ${groupName}s where the value is defined (AAMI EC57).`,
    );
  }
  return {
    title: `accuracy by ${groupName}`,
    columns: [groupName, input.unit ?? "samples", `${classNames.join(" / ")}`, "accuracy", ...detail.flatMap((k) => [`${classNames[k]} Se`, `${classNames[k]} +P`]), "share of errors"],
    rows,
    notes,
  };
}
