// The protocol between the calling thread and the worker threads, over an Int32Array in the
// shared memory. No messages are posted per kernel call. For each job the caller offers a fresh
// sequence number in every worker's slot and wakes it with Atomics.notify; a worker accepts the
// offer by negating it (compare-and-swap), runs its part, and publishes the number in its done
// slot. Kernels hand out work units from a shared counter, so once the caller has run out of
// units it withdraws the offers nobody accepted yet: a worker that the OS has not scheduled (the
// cores are busy with other processes) then costs nothing instead of stalling the call. Workers
// spin briefly before sleeping, so back-to-back calls skip the futex wake-up. No Node APIs here:
// a browser Worker can run serveJobs too.

const QUIT = 0;
const FAILED = 1;
const OFFER = 2;

/** Int32 slots the control block needs for `workers` worker threads. */
export function controlInts(workers: number): number {
  return OFFER + 2 * workers;
}

function offerSlot(worker: number): number {
  return OFFER + 2 * worker;
}

/**
 * A worker's loop (worker 0, 1, ... in the control block): waits for offers, runs its part of each
 * job it accepts, reports completion; returns on quit. `ready` is called before the first wait.
 */
export function serveJobs(control: Int32Array, worker: number, spin: number, runShare: () => void, ready: () => void): void {
  const offer = offerSlot(worker);
  const done = offer + 1;
  ready();
  for (;;) {
    let seq = Atomics.load(control, offer);
    for (let i = 0; seq <= 0 && i < spin; i++) seq = Atomics.load(control, offer);
    if (seq <= 0) {
      Atomics.wait(control, offer, seq);
      continue;
    }
    if (Atomics.compareExchange(control, offer, seq, -seq) !== seq) continue; // withdrawn meanwhile
    if (Atomics.load(control, QUIT) !== 0) return;
    try {
      runShare();
    } catch {
      Atomics.add(control, FAILED, 1);
    }
    Atomics.store(control, done, seq);
    Atomics.notify(control, done);
  }
}

/** The calling thread's side of the protocol. */
export class TeamControl {
  private seq = 0;

  constructor(private readonly control: Int32Array, private readonly workers: number, private readonly spin: number) {}

  /** Runs runShare on the calling thread alongside the workers; false if a worker's part failed. */
  dispatch(runShare: () => void): boolean {
    const control = this.control;
    const seq = (this.seq = (this.seq % 0x3fffffff) + 1);
    for (let w = 0; w < this.workers; w++) {
      Atomics.store(control, offerSlot(w), seq);
      Atomics.notify(control, offerSlot(w));
    }
    try {
      runShare();
    } finally {
      for (let w = 0; w < this.workers; w++) {
        if (Atomics.compareExchange(control, offerSlot(w), seq, 0) === seq) continue; // never started
        const slot = offerSlot(w) + 1;
        let done = Atomics.load(control, slot);
        for (let i = 0; done !== seq && i < this.spin; i++) done = Atomics.load(control, slot);
        while (done !== seq) {
          Atomics.wait(control, slot, done);
          done = Atomics.load(control, slot);
        }
      }
    }
    return Atomics.exchange(control, FAILED, 0) === 0;
  }

  /** Tells every worker to leave its loop. */
  quit(): void {
    Atomics.store(this.control, QUIT, 1);
    const seq = (this.seq = (this.seq % 0x3fffffff) + 1);
    for (let w = 0; w < this.workers; w++) {
      Atomics.store(this.control, offerSlot(w), seq);
      Atomics.notify(this.control, offerSlot(w));
    }
  }
}
