import { SpikemedError } from "../../errors.js";

const ALIGN = 64;
const PAGE = 65536;

/**
 * Rounds a request up to its size class: multiples of 64 bytes up to 4 KiB, then 8 classes per
 * power of two (at most 12.5% slack), so that the slightly different sizes of a training loop's
 * tensors land in the same free lists.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (b <= 4096) return b;
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

interface Block { offset: number; bytes: number }

/**
 * Allocator over a WebAssembly memory, from `base` up. Freed blocks go to exact size-class free
 * lists, reused first; new blocks come from the top; when the top reaches the end of memory the
 * free blocks are coalesced (returning a free run at the top to it) and searched best-fit before
 * the memory grows.
 */
export class SharedHeap {
  private readonly live = new Map<number, number>();
  private readonly freeByClass = new Map<number, number[]>();
  private loose: Block[] = [];
  private top: number;
  /** Bytes at or above this offset have never been handed out, so they are still zero. */
  private untouched: number;
  /** Every buffer object this memory has had (a grown shared memory gets a new one). */
  readonly buffers = new Set<ArrayBufferLike>();

  constructor(private readonly memory: WebAssembly.Memory, base: number) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
    this.untouched = this.top;
    this.buffers.add(memory.buffer);
  }

  /** The memory's current buffer (views made from it cover the whole memory). */
  get buffer(): ArrayBufferLike {
    return this.memory.buffer;
  }

  /** Bytes of linear memory, grown or not. */
  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  get liveBlocks(): number {
    return this.live.size;
  }

  /** Byte offset of a block of at least `bytes` bytes, zero-filled unless `zeroed` is false. */
  alloc(bytes: number, zeroed = true): number {
    const size = sizeClass(bytes);
    const offset = this.take(size);
    this.live.set(offset, size);
    if (zeroed && offset < this.untouched) new Uint8Array(this.memory.buffer, offset, Math.min(size, this.untouched - offset)).fill(0);
    this.untouched = Math.max(this.untouched, offset + size);
    return offset;
  }

  /** Returns a block from alloc(); false if no live block starts at offset. */
  free(offset: number): boolean {
    const size = this.live.get(offset);
    if (size === undefined) return false;
    this.live.delete(offset);
    let list = this.freeByClass.get(size);
    if (!list) this.freeByClass.set(size, (list = []));
    list.push(offset);
    return true;
  }

  owns(offset: number): boolean {
    return this.live.has(offset);
  }

  private take(size: number): number {
    const list = this.freeByClass.get(size);
    if (list && list.length > 0) return list.pop()!;
    const fit = this.bestFit(size);
    if (fit >= 0) return fit;
    if (this.top + size <= this.capacity) return this.bump(size);
    this.coalesce();
    const merged = this.bestFit(size);
    if (merged >= 0) return merged;
    if (this.top + size > this.capacity) this.grow(this.top + size);
    return this.bump(size);
  }

  private bump(size: number): number {
    const offset = this.top;
    this.top += size;
    return offset;
  }

  private bestFit(size: number): number {
    let best = -1;
    for (let i = 0; i < this.loose.length; i++) {
      const b = this.loose[i];
      if (b.bytes >= size && (best < 0 || b.bytes < this.loose[best].bytes)) best = i;
    }
    if (best < 0) return -1;
    const block = this.loose[best];
    const offset = block.offset;
    if (block.bytes === size) this.loose.splice(best, 1);
    else { block.offset += size; block.bytes -= size; }
    return offset;
  }

  /** Merges all free blocks with their free neighbours; a free run ending at the top lowers the top. */
  private coalesce(): void {
    const blocks: Block[] = [...this.loose];
    for (const [bytes, offsets] of this.freeByClass) for (const offset of offsets) blocks.push({ offset, bytes });
    this.freeByClass.clear();
    blocks.sort((a, b) => a.offset - b.offset);
    const merged: Block[] = [];
    for (const b of blocks) {
      const last = merged[merged.length - 1];
      if (last && last.offset + last.bytes === b.offset) last.bytes += b.bytes;
      else merged.push({ ...b });
    }
    const last = merged[merged.length - 1];
    if (last && last.offset + last.bytes === this.top) {
      this.top = last.offset;
      merged.pop();
    }
    this.loose = merged;
  }

  private grow(needed: number): void {
    const current = this.capacity;
    // Grow by at least a quarter so a growing workload does not grow page by page.
    const generous = Math.ceil((Math.max(needed, current + current / 4) - current) / PAGE);
    const exact = Math.ceil((needed - current) / PAGE);
    if (!this.tryGrow(generous) && !this.tryGrow(exact)) {
      throw new SpikemedError(
        `wasm backend: out of memory allocating ${needed - this.top} bytes (heap is ${current} bytes, limit 4 GiB)`,
        "free tensors you no longer need, or use smaller batches");
    }
    this.buffers.add(this.memory.buffer);
  }

  private tryGrow(pages: number): boolean {
    try {
      this.memory.grow(pages);
      return true;
    } catch {
      return false;
    }
  }
}
