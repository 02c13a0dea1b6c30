import { Command } from "commander";
import { RESEARCH_NOTICE } from "../core/index.js";
import {
  compareStreamWithPredict, DEFAULT_STREAM_SETTINGS, endStream, initialStreamState, loadRun, openEcgStream, predictRecordBeats, streamChunk, streamLatency, type StreamedBeat,
} from "../experiment/index.js";
import { backendOptions, selectBackend, type BackendOptions } from "./backend.js";
import { oneOf, positiveNumber } from "./options.js";
import { readRecordAt } from "./predict.js";

interface StreamFlags extends BackendOptions {
  record: string;
  speed: "realtime" | "max";
  seconds?: number;
  context: number;
  hop: number;
  settle: number;
  compare?: boolean;
  json?: boolean;
}

/** Samples handed over per chunk: one at a time at full speed, as a sensor delivers them; at real time, those due since the last chunk (at most every 20 ms). */
const REALTIME_TICK_MS = 20;

export function streamCommand(): Command {
  return backendOptions(new Command("stream"))
    .description("stream an ECG record through a trained run sample by sample, as a live signal: each beat's class as its window completes, " +
      "its latency from the R peak (signal time) and the compute time per beat (wall clock)")
    .argument("<run>", "a run folder written by spikemed train (an ECG run)")
    .requiredOption("--record <path>", "WFDB record to play, e.g. data/mitdb/208 (its .hea; .dat beside it)")
    .option("--speed <speed>", "realtime: samples arrive at the record's own rate; max: as fast as they are processed", oneOf(["realtime", "max"] as const), "max")
    .option("--seconds <s>", "play only the record's first seconds", positiveNumber)
    .option("--context <s>", "seconds of past signal each conditioning pass reads (the record-level statistics become this span's)", positiveNumber, DEFAULT_STREAM_SETTINGS.contextSeconds)
    .option("--hop <s>", "seconds of signal between conditioning passes", positiveNumber, DEFAULT_STREAM_SETTINGS.hopSeconds)
    .option("--settle <s>", "seconds of signal after a beat's window before it is classified (the filters' look-ahead)", positiveNumber, DEFAULT_STREAM_SETTINGS.settleSeconds)
    .option("--compare", "also classify the whole record as spikemed predict does, and report how far the streamed beats differ")
    .option("--json", "print JSON instead of lines")
    .action(async (runDir: string, flags: StreamFlags) => {
      await selectBackend(flags);
      const { manifest, network } = loadRun(runDir);
      const record = readRecordAt(flags.record);
      const stream = openEcgStream(network, manifest, record, flags.record, { contextSeconds: flags.context, hopSeconds: flags.hop, settleSeconds: flags.settle });
      const out = flags.json ? process.stderr : process.stdout;
      out.write(`${RESEARCH_NOTICE}\n`);
      const fs_ = record.samplingFrequency;
      const frames = Math.min(record.frameCount, flags.seconds === undefined ? Infinity : Math.round(flags.seconds * fs_));
      const show = (beat: StreamedBeat) => {
        if (!flags.json) {
          process.stdout.write(`  ${beat.time.toFixed(3).padStart(8)}  ${String(beat.sample).padStart(8)}  ${beat.class.padEnd(5)}  ${beat.probabilities[beat.classIndex].toFixed(4)}  ` +
            `${beat.latency.toFixed(3).padStart(9)}  ${(beat.conditioningMs + beat.networkMs).toFixed(2).padStart(10)}\n`);
        }
      };
      if (!flags.json) {
        process.stdout.write(`streaming record ${record.name} (${(frames / fs_).toFixed(1)} s at ${fs_} Hz, ${flags.speed === "realtime" ? "real time" : "full speed"}): ` +
          `a pass every ${flags.hop} s over the last ${flags.context} s, beats classified ${flags.settle} s after their window\n` +
          "    time_s    sample  class  probability  latency_s  compute_ms\n");
      }
      const beats: StreamedBeat[] = [];
      let state = initialStreamState(stream);
      const began = performance.now();
      let busyMs = 0;
      for (let at = 0; at < frames;) {
        let size = 1;
        if (flags.speed === "realtime") {
          const due = Math.min(frames, Math.floor(((performance.now() - began) / 1000) * fs_));
          if (due <= at) {
            await new Promise((resolve) => setTimeout(resolve, REALTIME_TICK_MS));
            continue;
          }
          size = due - at;
        }
        const chunk = record.physical.map((signal) => signal.subarray(at, at + size));
        const started = performance.now();
        const step = streamChunk(stream, state, chunk);
        busyMs += performance.now() - started;
        state = step.state;
        step.beats.forEach(show);
        beats.push(...step.beats);
        at += size;
      }
      const last = endStream(stream, state);
      last.beats.forEach(show);
      beats.push(...last.beats);
      const latency = beats.length > 0 ? streamLatency(beats) : null;
      const realTimeFactor = busyMs / 1000 / (frames / fs_);
      const agreement = flags.compare ? compareStreamWithPredict(beats, predictRecordBeats(network, manifest, record, flags.record), Math.round(0.15 * fs_), frames) : null;
      if (flags.json) {
        process.stdout.write(JSON.stringify({
          record: record.name, seconds: frames / fs_, settings: { context: flags.context, hop: flags.hop, settle: flags.settle }, latency, realTimeFactor, agreement,
          beats: beats.map((b) => ({
            sample: b.sample, time: b.time, class: b.class, probabilities: Object.fromEntries(stream.classNames.map((c, k) => [c, b.probabilities[k]])),
            latency: b.latency, computeMs: b.conditioningMs + b.networkMs, networkMs: b.networkMs,
          })),
        }, null, 2) + "\n");
        return;
      }
      const lines = [`record ${record.name}: ${beats.length} beats streamed`];
      if (latency) {
        lines.push(`  latency from the R peak (signal time): median ${latency.latency.median.toFixed(3)} s, 99th percentile ${latency.latency.p99.toFixed(3)} s, max ${latency.latency.max.toFixed(3)} s`,
          `  compute per beat (wall clock): median ${latency.computeMs.median.toFixed(2)} ms, 99th percentile ${latency.computeMs.p99.toFixed(2)} ms ` +
          `(network steps alone: median ${latency.networkMs.median.toFixed(2)} ms, 99th percentile ${latency.networkMs.p99.toFixed(2)} ms)`);
      }
      lines.push(`  compute over signal time: ${(100 * realTimeFactor).toFixed(1)}% (under 100% keeps up with a live signal)`);
      if (agreement) {
        lines.push(`  against spikemed predict on the whole record: ${agreement.matched} of ${agreement.streamed} streamed beats matched within 150 ms of its ${agreement.predicted}, ` +
          `${(100 * agreement.sameClass / Math.max(1, agreement.matched)).toFixed(2)}% same class, largest probability difference ${agreement.maxProbabilityDifference.toFixed(4)}`);
      }
      process.stdout.write(lines.join("\n") + "\n");
    });
}
