/**
 * A trained ECG run on a live signal, sample by sample, as a neuromorphic deployment would run
 * it: samples arrive in chunks of any size (one sample each, if need be); every `hop` of signal
 * the beat pipeline conditions the last `context` seconds (resampling, baseline removal, wavelet
 * denoising, R-peak detection, windows and features, as `predict` does for a whole record), and
 * each beat whose window and settling margin have arrived is classified by stepping the network
 * one time step at a time (Network.step). No Node APIs: a browser page streams the same way.
 *
 * Where the streamed beats differ from `predict`'s: the whole-record pipeline is not causal. Its
 * zero-phase filters and centred median filters look ahead a fraction of a second, which the
 * settling margin waits for; its wavelet threshold (sigma from the median detail of the whole
 * signal, times sqrt(2 ln n)), the detector's learned thresholds and the features' record-level
 * statistics (median amplitude, mean RR, median beat) are here those of the context, so the
 * stream's beats drift from `predict`'s by a measured amount (test/experiment/stream.test.ts).
 */
import * as ops from "../core/index.js";
import { Rng, SpikemedError, noGrad, tensor, tidy } from "../core/index.js";
import { DEFAULT_BEAT_WINDOW, detectBeatsOfLeads, inEcgRateRange, resolveLeads } from "../data/ecg/beats.js";
import { denoiseMinimumLength } from "../data/ecg/wavelet.js";
import type { WfdbRecord } from "../data/ecg/wfdb-files.js";
import type { Network } from "../model/network.js";
import { beatReadingOfRun, unlabelledBeatData } from "./record-predictions.js";
import type { RunManifest } from "./run-format.js";
import { batchBuffers, type BatchBuffers } from "../train/data.js";

export interface StreamSettings {
  /** Seconds of past signal each conditioning pass reads; the record-level statistics become this span's. Default 30. */
  contextSeconds?: number;
  /** Seconds of signal between conditioning passes. Default 0.25. */
  hopSeconds?: number;
  /** Seconds of signal after a beat's window ends before it is classified, for the filters' look-ahead and the next R peak. Default 0.5. */
  settleSeconds?: number;
  /**
   * Seconds of the whole signal, for the wavelet denoising's universal threshold sqrt(2 ln n)
   * that `predict` takes from the record's length: default the record's length where its header
   * gives one, else 30 minutes (MIT-BIH's records, which trained the built-in models).
   */
  recordSeconds?: number;
}

export const DEFAULT_STREAM_SETTINGS = { contextSeconds: 30, hopSeconds: 0.25, settleSeconds: 0.5, recordSeconds: 30 * 60 } as const;

/** What stays fixed while a record streams: the network, how it reads beats, and the stream's timing in samples of the record's rate. */
export interface EcgStream {
  network: Network;
  classNames: string[];
  samplingFrequency: number;
  /** Signals each chunk holds (the record's, in its order). */
  signalCount: number;
  /** The record's signals the pipeline reads: the windowed leads, then the second lead for its features (when the model reads them and it is not a windowed lead). */
  signalsRead: number[];
  leadCount: number;
  /** Position in `signalsRead` of the second lead for its features, or -1. */
  secondLead: number;
  features: readonly string[];
  detection: ReturnType<typeof beatReadingOfRun>["detection"] & { denoise: { thresholdLength: number } };
  context: number;
  hop: number;
  settle: number;
  /** The window's span from the R peak on, at the record's rate. */
  windowAfter: number;
  /** Beats closer than this to the last one classified are the same beat seen again (the detector's refractory period, 0.2 s). */
  refractory: number;
  /** Fewest samples a conditioning pass can take (the wavelet denoising's minimum, two seconds for the detector). */
  minimumContext: number;
}

/**
 * The stream's state between chunks, a plain object that streamChunk never modifies: the context
 * of each signal read (the last `context` samples up to the last conditioning pass), the samples
 * received since, and the last beat classified.
 */
export interface StreamState {
  /** Sample index (in the record) of the contexts' first sample. */
  start: number;
  contexts: Float32Array[];
  /** Chunks received since the last pass, per signal read. */
  pending: Float32Array[][];
  pendingLength: number;
  /** R-peak sample of the last beat classified, or null. */
  lastBeat: number | null;
}

export interface StreamedBeat {
  /** R-peak sample in the record's rate, and its time in seconds. */
  sample: number;
  time: number;
  classIndex: number;
  class: string;
  /** Class probabilities, in the run's class order. */
  probabilities: number[];
  /** What the network read: each lead's window (`signal`, [leads, window]) and the features. */
  input: BatchBuffers;
  /** Samples received when the beat was classified, and the signal time from its R peak to then, in seconds. */
  classifiedAt: number;
  latency: number;
  /** Wall-clock milliseconds: the conditioning pass that found the beat, and the network's time steps on it. */
  conditioningMs: number;
  networkMs: number;
}

/**
 * A stream of the record described by `source` (its name and signal descriptions; its samples
 * arrive later) through `network`, which `manifest` describes; `where` names the record in errors.
 */
export function openEcgStream(network: Network, manifest: RunManifest, source: Pick<WfdbRecord, "name" | "signalNames" | "samplingFrequency"> & { frameCount?: number }, where: string,
  settings: StreamSettings = {}): EcgStream {
  const reading = beatReadingOfRun(manifest, source, where);
  const rate = source.samplingFrequency;
  if (!inEcgRateRange(rate)) throw new SpikemedError(`${where}: sampling frequency ${rate} Hz is outside the range an ECG is read at`, "check the frequency on the header's first line (e.g. 360)");
  const { contextSeconds, hopSeconds, settleSeconds } = { ...DEFAULT_STREAM_SETTINGS, ...settings };
  const recordSeconds = settings.recordSeconds ?? (source.frameCount ? source.frameCount / rate : DEFAULT_STREAM_SETTINGS.recordSeconds);
  const window = (manifest.data.task === "ecg" ? manifest.data.window : undefined) ?? DEFAULT_BEAT_WINDOW;
  const { features } = reading;
  const detection = { ...reading.detection, denoise: { thresholdLength: Math.round(recordSeconds * window.sampleRate) } };
  const leads = resolveLeads(source, detection);
  const secondLeadIndex = detection.secondLeadFeatures ? source.signalNames.findIndex((_, i) => i !== leads[0]) : -1;
  const signalsRead = secondLeadIndex < 0 || leads.includes(secondLeadIndex) ? leads : [...leads, secondLeadIndex];
  const windowAfter = Math.ceil(window.after * rate / window.sampleRate);
  const windowBefore = Math.ceil(window.before * rate / window.sampleRate);
  const minimumContext = Math.max(Math.ceil(denoiseMinimumLength() * rate / window.sampleRate), 2 * rate);
  const context = Math.round(contextSeconds * rate);
  const hop = Math.round(hopSeconds * rate);
  const settle = Math.round(settleSeconds * rate);
  // A beat must fit in a context with margins on both sides, so that every beat is seen settled at least once.
  if (!(hop >= 1 && settle >= 0 && context >= Math.max(minimumContext, 2 * (windowBefore + windowAfter + settle) + hop))) {
    throw new SpikemedError(`${where}: a stream needs hop >= 1 sample, settle >= 0 and a context of at least twice a beat window plus the settling margin, plus a hop ` +
      `(here ${((2 * (windowBefore + windowAfter + settle) + hop) / rate).toFixed(2)} s; got ${contextSeconds} s)`, "use the default settings");
  }
  return {
    network, classNames: manifest.classNames, samplingFrequency: rate, signalCount: source.signalNames.length, signalsRead, leadCount: leads.length,
    secondLead: secondLeadIndex < 0 ? -1 : signalsRead.indexOf(secondLeadIndex), features, detection,
    context, hop, settle, windowAfter, refractory: Math.round(0.2 * rate), minimumContext,
  };
}

/** The state before the first sample. */
export function initialStreamState(stream: EcgStream): StreamState {
  return { start: 0, contexts: stream.signalsRead.map(() => new Float32Array(0)), pending: stream.signalsRead.map(() => []), pendingLength: 0, lastBeat: null };
}

/**
 * The beats `chunk` completes: `chunk` holds the next samples of each of the record's signals (as
 * many per signal). Returns them with the next state; `state` is left as it was. A pass runs at
 * each multiple of the hop, so the beats do not depend on how the samples were chunked.
 */
export function streamChunk(stream: EcgStream, state: StreamState, chunk: readonly ArrayLike<number>[]): { beats: StreamedBeat[]; state: StreamState } {
  if (chunk.length !== stream.signalCount) throw new SpikemedError(`stream: a chunk must hold each of the record's ${stream.signalCount} signals (got ${chunk.length})`);
  const n = chunk[0]?.length ?? 0;
  if (chunk.some((values) => values.length !== n)) throw new SpikemedError("stream: a chunk's signals must hold as many samples each");
  const beats: StreamedBeat[] = [];
  let next = state;
  for (let offset = 0; offset < n;) {
    const received = next.start + next.contexts[0].length + next.pendingLength;
    const take = Math.min(n - offset, stream.hop - (received % stream.hop));
    const pieces = stream.signalsRead.map((s) => Float32Array.from({ length: take }, (_, i) => chunk[s][offset + i]));
    next = { ...next, pending: next.pending.map((list, s) => [...list, pieces[s]]), pendingLength: next.pendingLength + take };
    offset += take;
    if ((received + take) % stream.hop === 0) {
      const pass = conditioningPass(stream, next, false);
      beats.push(...pass.beats);
      next = pass.state;
    }
  }
  return { beats, state: next };
}

/** The beats left when the signal ends: the last ones are classified with the signal they have, as `predict` does at a record's end. */
export function endStream(stream: EcgStream, state: StreamState): { beats: StreamedBeat[]; state: StreamState } {
  return conditioningPass(stream, state, true);
}

/** Pending samples moved into the contexts, trimmed to the last `context`; then the beats this pass settles. */
function conditioningPass(stream: EcgStream, state: StreamState, final: boolean): { beats: StreamedBeat[]; state: StreamState } {
  const contexts = state.contexts.map((old, s) => {
    const length = Math.min(stream.context, old.length + state.pendingLength);
    const out = new Float32Array(length);
    let at = length;
    for (const piece of [...state.pending[s]].reverse()) {
      const keep = Math.min(at, piece.length);
      out.set(piece.subarray(piece.length - keep), at - keep);
      at -= keep;
    }
    if (at > 0) out.set(old.subarray(old.length - at), 0);
    return out;
  });
  const end = state.start + state.contexts[0].length + state.pendingLength;
  const start = end - contexts[0].length;
  const next: StreamState = { start, contexts, pending: stream.signalsRead.map(() => []), pendingLength: 0, lastBeat: state.lastBeat };
  if (contexts[0].length < stream.minimumContext) return { beats: [], state: next };

  const began = performance.now();
  const leads = contexts.slice(0, stream.leadCount);
  const detected = detectBeatsOfLeads(leads, stream.samplingFrequency, { ...stream.detection, secondLead: stream.secondLead < 0 ? null : contexts[stream.secondLead] });
  const { sampleOfBeat, rPeaks } = detected;
  const settled: number[] = [];
  let lastBeat = state.lastBeat;
  for (let k = 0; k < sampleOfBeat.length; k++) {
    const r = sampleOfBeat[k];
    const at = start + r;
    if (lastBeat !== null && at <= lastBeat + stream.refractory) continue;
    // Its RR features need the R peaks on both sides (the record's own ends excepted), its window the filters' settling.
    const hasPrevious = start === 0 || rPeaks[0] < r;
    const hasNext = final || rPeaks[rPeaks.length - 1] > r;
    if (!hasPrevious || !hasNext || (!final && at + stream.windowAfter + stream.settle > end)) continue;
    settled.push(k);
    lastBeat = at;
  }
  const conditioningMs = performance.now() - began;
  const data = unlabelledBeatData(detected, sampleOfBeat.length, stream.classNames, stream.features);
  const beats = settled.map((k): StreamedBeat => {
    const input = batchBuffers(data, 1);
    data.fill([k], input);
    const stepped = performance.now();
    const probabilities = stepBeat(stream.network, input);
    const networkMs = performance.now() - stepped;
    const sample = start + sampleOfBeat[k];
    const classIndex = probabilities.indexOf(Math.max(...probabilities));
    return {
      sample, time: sample / stream.samplingFrequency, classIndex, class: stream.classNames[classIndex], probabilities, input,
      classifiedAt: end, latency: (end - sample) / stream.samplingFrequency, conditioningMs, networkMs,
    };
  });
  return { beats, state: { ...next, lastBeat } };
}

/** One beat's class probabilities, the network stepped through its time steps from rest (the direct encoder reads the same beat each step). */
export function stepBeat(network: Network, input: BatchBuffers): number[] {
  return noGrad(() => tidy(() => {
    const x = { signal: tensor(input.signal, [1, ...network.options.inputShape]), features: input.features ? tensor(input.features, [1, input.features.length]) : undefined };
    let state = network.initialState(new Rng(0));
    let scores = null;
    for (let t = 0; t < network.options.timeSteps; t++) {
      const step = network.step(x, state);
      state = step.state;
      scores = step.scores;
    }
    return Array.from(ops.softmax(scores!).data);
  }));
}

/** Every beat of a whole record streamed through in chunks of `chunkSize` samples, then ended. */
export function streamRecord(network: Network, manifest: RunManifest, record: WfdbRecord, where: string, options: StreamSettings & { chunkSize?: number; seconds?: number } = {}): StreamedBeat[] {
  const stream = openEcgStream(network, manifest, record, where, options);
  const frames = Math.min(record.frameCount, options.seconds === undefined ? Infinity : Math.round(options.seconds * record.samplingFrequency));
  const size = options.chunkSize ?? stream.hop;
  let state = initialStreamState(stream);
  const beats: StreamedBeat[] = [];
  for (let at = 0; at < frames; at += size) {
    const step = streamChunk(stream, state, record.physical.map((signal) => signal.subarray(at, Math.min(frames, at + size))));
    beats.push(...step.beats);
    state = step.state;
  }
  beats.push(...endStream(stream, state).beats);
  return beats;
}

/** The `q` quantile (0..1) of ascending `sorted` values by the nearest-rank method. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export interface StreamLatency {
  beats: number;
  /** Signal time from the R peak to the classification, seconds. */
  latency: { median: number; p99: number; max: number };
  /** Wall-clock milliseconds per beat: conditioning pass plus the network's steps. */
  computeMs: { median: number; p99: number };
  networkMs: { median: number; p99: number };
}

/** Median and 99th percentile of the streamed beats' latency and compute time (of one beat at least). */
export function streamLatency(beats: readonly StreamedBeat[]): StreamLatency {
  if (beats.length === 0) throw new SpikemedError("stream latency: no beats were classified", "stream a longer signal (the denoising needs about 6 s)");
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const latency = sorted(beats.map((b) => b.latency));
  const compute = sorted(beats.map((b) => b.conditioningMs + b.networkMs));
  const network = sorted(beats.map((b) => b.networkMs));
  return {
    beats: beats.length,
    latency: { median: quantile(latency, 0.5), p99: quantile(latency, 0.99), max: latency[latency.length - 1] },
    computeMs: { median: quantile(compute, 0.5), p99: quantile(compute, 0.99) },
    networkMs: { median: quantile(network, 0.5), p99: quantile(network, 0.99) },
  };
}

export interface StreamAgreement {
  /** Beats of `predict`, of the stream, and those matched (R peaks within the tolerance). */
  predicted: number;
  streamed: number;
  matched: number;
  /** Matched beats given the same class, and the largest difference of a class probability between matched beats. */
  sameClass: number;
  maxProbabilityDifference: number;
}

/**
 * The streamed beats against `predict`'s for the same record: R peaks matched within `tolerance`
 * samples; `predict`'s beats counted up to sample `until` (the end of the signal streamed).
 */
export function compareStreamWithPredict(streamed: readonly StreamedBeat[], predicted: { sampleOfBeat: Int32Array; labels: Int32Array; probabilities: Float32Array },
  tolerance: number, until = Infinity): StreamAgreement {
  const K = predicted.probabilities.length / Math.max(1, predicted.labels.length);
  let matched = 0;
  let sameClass = 0;
  let maxProbabilityDifference = 0;
  let p = 0;
  for (const beat of streamed) {
    while (p < predicted.sampleOfBeat.length && predicted.sampleOfBeat[p] < beat.sample - tolerance) p++;
    if (p >= predicted.sampleOfBeat.length || Math.abs(predicted.sampleOfBeat[p] - beat.sample) > tolerance) continue;
    matched++;
    if (predicted.labels[p] === beat.classIndex) sameClass++;
    for (let c = 0; c < K; c++) maxProbabilityDifference = Math.max(maxProbabilityDifference, Math.abs(predicted.probabilities[p * K + c] - beat.probabilities[c]));
    p++;
  }
  return { predicted: predicted.sampleOfBeat.filter((sample) => sample < until).length, streamed: streamed.length, matched, sameClass, maxProbabilityDifference };
}
