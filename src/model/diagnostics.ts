/**
 * Activity of a spiking layer: firing rate, silent and saturated neurons. A network whose layers
 * never spike learns nothing and predicts one class; these numbers make that impossible to miss.
 */
export interface ActivitySummary {
  /** Mean spikes per neuron per time step. */
  rate: number;
  /** Fraction of neurons (positions within a sample) that never spiked in any sample or step. */
  silentFraction: number;
  /** Fraction of neurons that spiked at every step of every sample. */
  saturatedFraction: number;
  neurons: number;
  samples: number;
}

export class ActivityMeter {
  private spikes = 0;
  private slots = 0;
  private samples = 0;
  /** Sample-steps observed (T x B summed over calls). */
  private sampleSteps = 0;
  /** Per neuron: spikes, and the number of sample-steps in which it spiked at least once. */
  private perNeuronSpikes: Float64Array | null = null;
  private perNeuronActive: Float64Array | null = null;

  /**
   * Adds one forward pass of T steps over B samples: per neuron (F of them), the spikes it emitted
   * and the number of sample-steps in which it spiked at all.
   */
  observe(spikesPerNeuron: ArrayLike<number>, activeSlotsPerNeuron: ArrayLike<number>, T: number, B: number): void {
    const F = spikesPerNeuron.length;
    this.ensureSize(F);
    let total = 0;
    for (let f = 0; f < F; f++) {
      this.perNeuronSpikes![f] += spikesPerNeuron[f];
      this.perNeuronActive![f] += activeSlotsPerNeuron[f];
      total += spikesPerNeuron[f];
    }
    this.spikes += total;
    this.slots += T * B * F;
    this.samples += B;
    this.sampleSteps += T * B;
  }

  merge(other: ActivityMeter): void {
    if (!other.perNeuronSpikes) return;
    this.ensureSize(other.perNeuronSpikes.length);
    for (let f = 0; f < other.perNeuronSpikes.length; f++) {
      this.perNeuronSpikes![f] += other.perNeuronSpikes[f];
      this.perNeuronActive![f] += other.perNeuronActive![f];
    }
    this.spikes += other.spikes;
    this.slots += other.slots;
    this.samples += other.samples;
    this.sampleSteps += other.sampleSteps;
  }

  reset(): void {
    this.spikes = 0;
    this.slots = 0;
    this.samples = 0;
    this.sampleSteps = 0;
    this.perNeuronSpikes = null;
    this.perNeuronActive = null;
  }

  summary(): ActivitySummary | null {
    if (!this.perNeuronSpikes || this.slots === 0) return null;
    const n = this.perNeuronSpikes.length;
    let silent = 0;
    let saturated = 0;
    for (let f = 0; f < n; f++) {
      if (this.perNeuronSpikes[f] === 0) silent++;
      if (this.perNeuronActive![f] === this.sampleSteps) saturated++;
    }
    return { rate: this.spikes / this.slots, silentFraction: silent / n, saturatedFraction: saturated / n, neurons: n, samples: this.samples };
  }

  private ensureSize(F: number): void {
    if (this.perNeuronSpikes && this.perNeuronSpikes.length === F) return;
    // A new layer width (another input size) starts a fresh measurement.
    this.reset();
    this.perNeuronSpikes = new Float64Array(F);
    this.perNeuronActive = new Float64Array(F);
  }
}

export interface ActivityWarning {
  layer: string;
  kind: "silent" | "saturated" | "mostly-silent";
  message: string;
}

/** What to tell the user about a layer's activity, with the fixes that apply. */
export function activityWarnings(layer: string, s: ActivitySummary, context: { timeSteps: number; dt?: number }): ActivityWarning[] {
  const knobs = `time steps T (now ${context.timeSteps})` + (context.dt !== undefined ? `, dt (now ${context.dt})` : "");
  if (s.rate === 0) {
    return [{ layer, kind: "silent", message:
      `layer ${layer} is silent: no spikes across ${s.samples} samples, so the network cannot learn and will predict one class. ` +
      `Fix: increase ${knobs}, lower the threshold, or scale the input up.` }];
  }
  if (s.saturatedFraction > 0.5) {
    return [{ layer, kind: "saturated", message:
      `layer ${layer} is saturated: ${(s.saturatedFraction * 100).toFixed(0)}% of its neurons spike at every step, so they carry no information. ` +
      `Fix: raise the threshold, scale the input down, or add normalisation before it.` }];
  }
  if (s.silentFraction > 0.9) {
    return [{ layer, kind: "mostly-silent", message:
      `layer ${layer} is mostly silent: ${(s.silentFraction * 100).toFixed(0)}% of its neurons never spiked (rate ${s.rate.toExponential(2)} per step). ` +
      `Fix: increase ${knobs}, lower the threshold, or scale the input up.` }];
  }
  return [];
}
