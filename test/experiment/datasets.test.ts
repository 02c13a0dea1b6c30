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
