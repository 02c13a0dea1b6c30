/**
 * A seeded 500-case fuzz run of every file reader (bench/fuzz/targets.ts; `npm run fuzz` runs
 * 10,000 per target): any crash, hang or non-finite output fails the target's test, listing each
 * distinct finding with the case that rebuilds it.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { runCampaign, type CampaignResult } from "../../bench/fuzz/harness.js";
import { TARGETS } from "../../bench/fuzz/targets.js";

const CASES = 500;
const SEED = 1;
/** Campaigns at a time: each runs in its own worker thread, and CI has two cores. */
const PARALLEL = 2;

// Campaign i starts when campaign i - PARALLEL ends; each test awaits its own.
const campaigns: Promise<CampaignResult>[] = [];
TARGETS.forEach((target, i) => {
  const after = i >= PARALLEL ? campaigns[i - PARALLEL].then(() => {}, () => {}) : Promise.resolve();
  const campaign = after.then(() => runCampaign({ target: target.name, cases: CASES, seed: SEED, timeLimitMs: 5000 }));
  campaign.catch(() => {}); // reported by the target's test, not as an unhandled rejection
  campaigns.push(campaign);
});

for (const [i, target] of TARGETS.entries()) {
  test(`fuzz ${target.name}: ${CASES} seeded cases, no crash, hang or non-finite output`, async () => {
    const result = await campaigns[i];
    const failures = result.findings.filter((f) => f.outcome === "crash" || f.outcome === "hang" || f.outcome === "non-finite");
    assert.deepEqual(failures.map((f) => `case ${f.example} (${f.count} cases): ${f.outcome} ${f.detail}${f.where ? ` at ${f.where}` : ""}`), []);
    // The run exercised the reader: some cases read, some refused with the file's name.
    assert.ok(result.counts.accepted > 0 && result.counts.named > 0, JSON.stringify(result.counts));
  });
}
