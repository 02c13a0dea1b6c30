// A job is a block of float64 arguments in shared memory that the calling thread fills in before
// every thread runs run(job, tid, threads). Slot 0 is the kernel id; a work counter for dynamic
// scheduling (reset to 0 by the caller) follows the argument slots.

import { JOB_SLOTS } from "../src/core/backends/wasm/kernel-interface";

export const COUNTER_OFFSET: usize = JOB_SLOTS * 8;

@inline export function argF(job: usize, i: i32): f64 { return load<f64>(job + (<usize>i << 3)); }
@inline export function argI(job: usize, i: i32): i32 { return <i32>load<f64>(job + (<usize>i << 3)); }
@inline export function argP(job: usize, i: i32): usize { return <usize>load<f64>(job + (<usize>i << 3)); }
@inline export function argB(job: usize, i: i32): bool { return load<f64>(job + (<usize>i << 3)) != 0; }

/** The next unclaimed work unit, shared by all threads of the job. */
@inline export function claim(job: usize): i32 { return atomic.add<i32>(job + COUNTER_OFFSET, 1); }

/**
 * Elements per work unit of the elementwise kernels (a multiple of 4). Threads claim units until
 * none are left, so a thread slowed by other processes on its core simply takes fewer of them.
 */
export const ELEMENT_CHUNK = 16384;
