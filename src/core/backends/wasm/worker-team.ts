// Starting the kernel workers all or none: a worker left running after another failed to start
// would keep the process (or page) alive, waiting on shared memory no backend will ever signal.

export interface WorkerHandle {
  terminate(): Promise<unknown>;
}

/** A worker being started: its handle at once, and a promise that settles when it is ready. */
export interface StartingWorker {
  handle: WorkerHandle;
  ready: Promise<unknown>;
}

/** Starts one worker per setup; if any fails to start, terminates every other one and rethrows. */
export async function startAllOrNone<S>(setups: S[], start: (setup: S) => StartingWorker): Promise<WorkerHandle[]> {
  const starting: StartingWorker[] = [];
  try {
    for (const setup of setups) starting.push(start(setup));
    await Promise.all(starting.map((worker) => worker.ready));
  } catch (error) {
    await Promise.allSettled(starting.map((worker) => worker.handle.terminate()));
    throw error;
  }
  return starting.map((worker) => worker.handle);
}
