import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import { prepareData } from "../../src/experiment/index.js";
import { PUBLISHED_BEAT_COUNTS, SKIP_NO_SHARED, sharedMitdbDir } from "../data/ecg/helpers.js";

const mitdb = sharedMitdbDir();
process.env.SPIKEMED_CACHE ??= path.join(os.tmpdir(), "spikemed-experiment-cache");

test("paced records are left out unless asked for; their paced beats are class Q", { skip: mitdb ? false : SKIP_NO_SHARED }, async () => {
  const spec = { task: "ecg" as const, dataDir: mitdb!, records: ["107"], split: "intra" as const, seed: 1 };
  assert.throws(() => prepareData(spec), /no records to load/);
  const prepared = await prepareData({ ...spec, includePaced: true });
  const { labels, classNames } = prepared.data;
  const q = Array.from(labels).filter((l) => classNames[l] === "Q").length;
  // Record 107 is paced throughout (2,078 paced beats of 2,137 in the MIT-BIH directory); beats
  // within half a window of either end of the record are not windowed.
  assert.ok(labels.length > PUBLISHED_BEAT_COUNTS["107"] - 5 && labels.length <= PUBLISHED_BEAT_COUNTS["107"], `beats ${labels.length}`);
  assert.ok(q > 2000, `Q beats ${q}`);
  assert.match(prepared.dataset, /paced records included/);
});

test("inter-patient validation on whole held-out records keeps its patients out of training and names them", { skip: mitdb ? false : SKIP_NO_SHARED }, async () => {
  const records = ["100", "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122"];
  const prepared = await prepareData({ task: "ecg", dataDir: mitdb!, records, split: "inter", seed: 1, validationBy: "records" });
  const { train, val, test: testSet } = prepared.split;
  const described = /validation \d+ \(DS1 records ([\d, ]+), patients unseen in training\)/.exec(prepared.splitDescription);
  assert.ok(described, prepared.splitDescription);
  const named = described[1].split(", ");
  assert.equal(named.length, 1, "one of the 11 DS1 records (10%, at least one) validates");
  const published = PUBLISHED_BEAT_COUNTS[named[0]];
  assert.ok(val.length > published - 5 && val.length <= published, `validation holds every beat of record ${named[0]}: ${val.length} of ${published}`);
  assert.ok(testSet.length > PUBLISHED_BEAT_COUNTS["100"] - 5 && testSet.length <= PUBLISHED_BEAT_COUNTS["100"], "DS2 record 100 is the test set");
  const ds1Total = records.slice(1).reduce((sum, r) => sum + PUBLISHED_BEAT_COUNTS[r], 0);
  assert.ok(train.length + val.length > ds1Total - 60 && train.length + val.length <= ds1Total, "every other DS1 beat trains");
});
