/** The buffer items are encoded into: {@link ItemWriter}. */

/** The encoder's access to a writer's fields, granted by the writer's static block. */
export let bytesOf: (writer: ItemWriter) => Uint8Array;
/** Stores the encoder's (maybe grown) buffer and the item's length in the writer. */
export let commit: (writer: ItemWriter, bytes: Uint8Array, length: number) => void;

/**
 * A reusable, growable byte buffer an item is encoded into (one per thread or
 * queue): encoding allocates nothing once it is big enough, and a buffer
 * grown for a large item is kept for the next ones.
 */
export class ItemWriter {
  #bytes: Uint8Array;
  #length = 0;

  constructor(initialBytes = 256) {
    this.#bytes = new Uint8Array(Math.max(16, initialBytes));
  }

  /** Bytes written by the last `encodeItem`. */
  get length(): number {
    return this.#length;
  }

  /** The buffer; the item is `bytes[0, length)`. Replaced by a bigger one when an item does not fit. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Forgets the last item; the buffer is kept for the next one. */
  reset(): void {
    this.#length = 0;
  }

  static {
    bytesOf = (writer) => writer.#bytes;
    commit = (writer, bytes, length) => {
      writer.#bytes = bytes;
      writer.#length = length;
    };
  }
}
