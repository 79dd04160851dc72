/**
 * Strings out of item bytes: short ones built in JavaScript, long ones by
 * Node's native readers, and object keys through a small cache.
 */

/** Node's native string readers, present on every Uint8Array through Buffer.prototype. */
interface NativeRead {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  ucs2Slice(this: Uint8Array, start: number, end: number): string;
}
export const { latin1Slice, ucs2Slice } = Buffer.prototype as unknown as NativeRead;
const { fromCharCode } = String;

/** Up to this length {@link charsOf} beats the native slice (a call into C++ costs ~40 ns). */
export const SHORT_CHARS = 20;

/** A short latin1 string from its bytes, built with fromCharCode in chunks. */
export function charsOf(b: Uint8Array, p: number, n: number): string {
  if (n === 1) return fromCharCode(b[p]!); // from V8's single-character cache
  if (n === 0) return '';
  let s = '';
  const end = p + n;
  for (; p + 8 <= end; p += 8) s += fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
  if (p + 4 <= end) {
    s += fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!);
    p += 4;
  }
  for (; p < end; p++) s += fromCharCode(b[p]!);
  return s;
}

/** A latin1 string of any length from its bytes. */
export function latin1Of(b: Uint8Array, p: number, n: number): string {
  return n <= SHORT_CHARS ? charsOf(b, p, n) : latin1Slice.call(b, p, p + n);
}

/**
 * Recently decoded keys of 2 to {@link KEY_CACHE_MAX} latin1 characters (V8
 * caches single characters), by a hash of their bytes. A hit costs a hash and
 * a compare instead of making a string, and the cached string is
 * internalized, so the property store that follows skips the string-table
 * lookup too: decoding an object with five such keys takes about half the time.
 */
const keyCache: string[] = new Array<string>(256).fill('');
export const KEY_CACHE_MAX = 24;

/** The key in `b[p, p + n)`, 2 <= n <= KEY_CACHE_MAX, from the cache when it is there. */
export function cachedKey(b: Uint8Array, p: number, n: number): string {
  let h = n;
  for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + b[p + i]!) | 0;
  const slot = (h ^ (h >>> 8)) & 255;
  const cached = keyCache[slot]!;
  if (cached.length === n) {
    let i = 0;
    while (i < n && cached.charCodeAt(i) === b[p + i]) i++;
    if (i === n) return cached;
  }
  return (keyCache[slot] = internalize(charsOf(b, p, n)));
}

/** The internalized copy of `s` (property keys are internalized). */
function internalize(s: string): string {
  return Object.keys({ [s]: 0 })[0]!;
}
