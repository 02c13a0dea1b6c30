import { augmentBeat } from "../data/ecg/augment.js";
import { selectBeatFeatures } from "../data/ecg/beat-features.js";
import type { BeatDataset } from "../data/ecg/dataset.js";
import { flatArrayData, type ClassificationData } from "../train/data.js";

/**
 * Labelled beats as training data: each sample is the beat's window, with the `features` the
 * model reads (by name; default all the data set's) beside it; augmented windows when training asks.
 */
export function beatData(beats: Pick<BeatDataset, "x" | "windowLength" | "leads" | "features" | "featureNames" | "y" | "classNames">,
  features: readonly string[] = beats.featureNames): ClassificationData {
  const values = selectBeatFeatures(beats.features, beats.featureNames, features);
  const plain = flatArrayData(beats.x, [beats.leads, beats.windowLength], beats.classNames, beats.y, features.length > 0 ? { names: features, values } : undefined);
  const length = beats.windowLength;
  return {
    ...plain,
    fill: (indices, out, augment) => {
      plain.fill(indices, out);
      if (!augment) return;
      for (let r = 0; r < indices.length * beats.leads; r++) augmentBeat(out.signal.subarray(r * length, (r + 1) * length), augment);
    },
  };
}
