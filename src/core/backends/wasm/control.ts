// The protocol between the calling thread and the worker threads, over an Int32Array in the
// shared memory. No messages are posted per kernel call: the caller bumps a sequence number and
// wakes the workers with Atomics.notify; each worker runs its share of the job and publishes the
// sequence number it finished. Workers spin briefly before sleeping, so back-to-back kernel calls
// do not pay a futex wake-up. This file uses no Node APIs, so a browser Worker can reuse it.

const SEQ = 0;
const QUIT = 1;
const FAILED = 2;
const DONE = 3;

/** Int32 slots the control block needs for a team of `threads` (caller included). */
export function controlInts(threads: number): number {
  return DONE + threads;
}

/** A worker's loop: waits for each new job, runs its share, reports completion; returns on quit. */
export function serveJobs(control: Int32Array, tid: number, spin: number, runShare: () => void): void {
  let seen = Atomics.load(control, SEQ);
  for (;;) {
    let seq = Atomics.load(control, SEQ);
    for (let i = 0; seq === seen && i < spin; i++) seq = Atomics.load(control, SEQ);
    if (seq === seen) {
      Atomics.wait(control, SEQ, seen);
      continue;
    }
    seen = seq;
    if (Atomics.load(control, QUIT) !== 0) return;
    try {
      runShare();
    } catch {
      Atomics.add(control, FAILED, 1);
    }
    Atomics.store(control, DONE + tid, seq);
    Atomics.notify(control, DONE + tid);
  }
}

/** The calling thread's side: starts a job on all workers, runs share 0, waits for the rest. */
export class TeamControl {
  constructor(private readonly control: Int32Array, private readonly workers: number, private readonly spin: number) {}

  /** Runs runShare (thread 0's share) alongside the workers; false if any worker's share failed. */
  dispatch(runShare: () => void): boolean {
    const control = this.control;
    const seq = (Atomics.add(control, SEQ, 1) + 1) | 0;
    Atomics.notify(control, SEQ);
    try {
      runShare();
    } finally {
      for (let tid = 1; tid <= this.workers; tid++) {
        let done = Atomics.load(control, DONE + tid);
        for (let i = 0; done !== seq && i < this.spin; i++) done = Atomics.load(control, DONE + tid);
        while (done !== seq) {
          Atomics.wait(control, DONE + tid, done);
          done = Atomics.load(control, DONE + tid);
        }
      }
    }
    return Atomics.exchange(control, FAILED, 0) === 0;
  }

  /** Tells every worker to leave its loop. */
  quit(): void {
    Atomics.store(this.control, QUIT, 1);
    Atomics.add(this.control, SEQ, 1);
    Atomics.notify(this.control, SEQ);
  }
}
