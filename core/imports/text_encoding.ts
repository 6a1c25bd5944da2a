/**
 * Which text encoding a CSV file is in, and where a file stops being valid in it. Pure (TextDecoder
 * only): the server import and the browser preview detect the same way.
 */

/** The encodings a file can be read in (WHATWG Encoding Standard labels). */
export const TEXT_ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "windows-1252"] as const;
export type TextEncodingName = typeof TEXT_ENCODINGS[number];

/** How a file was detected: the encoding and the length of its byte order mark (0 when none). */
export interface DetectedEncoding {
  encoding: TextEncodingName;
  bom: number;
  /** Why: "byte order mark", "valid UTF-8" or "not valid UTF-8". */
  reason: string;
}

/** Bytes of the file's start that detection reads. */
export const DETECTION_SAMPLE_BYTES = 4 * 1024 * 1024;

/** The byte order mark length of `encoding` found at the start of `head`, 0 when none. */
export function bomLength(head: Uint8Array, encoding: TextEncodingName): number {
  if (encoding === "utf-8") return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  if (encoding === "utf-16le") return head[0] === 0xff && head[1] === 0xfe ? 2 : 0;
  if (encoding === "utf-16be") return head[0] === 0xfe && head[1] === 0xff ? 2 : 0;
  return 0;
}

/**
 * Detects the encoding from the file's first bytes: a byte order mark first (UTF-8, UTF-16 LE/BE);
 * else UTF-8 when the sample is valid UTF-8 (a cut character at the sample's end does not count);
 * else Windows-1252, which also reads Latin-1 (ISO-8859-1) for every printable byte.
 *
 * @param head the first bytes of the file, e.g. {@link DETECTION_SAMPLE_BYTES}
 * @param whole whether `head` is the whole file (then a character cut at its end is invalid)
 */
export function detectEncoding(head: Uint8Array, whole: boolean): DetectedEncoding {
  for (const encoding of ["utf-8", "utf-16le", "utf-16be"] as const) {
    const bom = bomLength(head, encoding);
    if (bom > 0) return { encoding, bom, reason: "byte order mark" };
  }
  return firstInvalidUtf8(head, !whole) === -1
    ? { encoding: "utf-8", bom: 0, reason: "valid UTF-8" }
    : { encoding: "windows-1252", bom: 0, reason: "not valid UTF-8" };
}

/**
 * The offset of the first byte that is not part of a valid UTF-8 sequence, or -1 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF).
 *
 * @param partialEnd a sequence cut by the end of `bytes` is valid (the sample goes on)
 */
export function firstInvalidUtf8(bytes: Uint8Array, partialEnd = false): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index];
    if (lead < 0x80) {
      index++;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return index;
    for (let next = 1; next < length; next++) {
      if (index + next >= bytes.length) return partialEnd ? -1 : index;
      const byte = bytes[index + next];
      if (byte < (next === 1 ? low : 0x80) || byte > (next === 1 ? high : 0xbf)) return index;
    }
    index += length;
  }
  return -1;
}

/**
 * The offset of the first UTF-16 code unit that is an unpaired surrogate, or -1.
 *
 * @param littleEndian byte order of the units
 */
export function firstInvalidUtf16(bytes: Uint8Array, littleEndian: boolean): number {
  const unit = (at: number) =>
    littleEndian ? bytes[at] | (bytes[at + 1] << 8) : (bytes[at] << 8) | bytes[at + 1];
  for (let index = 0; index + 1 < bytes.length; index += 2) {
    const code = unit(index);
    if (code >= 0xdc00 && code <= 0xdfff) return index;
    if (code >= 0xd800 && code <= 0xdbff) {
      if (index + 3 >= bytes.length) return index;
      const next = unit(index + 2);
      if (next < 0xdc00 || next > 0xdfff) return index;
      index += 2;
    }
  }
  return bytes.length % 2 === 1 ? bytes.length - 1 : -1;
}

/** Human name of an encoding, as messages and the preview show it. */
export function encodingName(encoding: TextEncodingName): string {
  return {
    "utf-8": "UTF-8",
    "utf-16le": "UTF-16 LE",
    "utf-16be": "UTF-16 BE",
    "windows-1252": "Windows-1252",
  }[
    encoding
  ];
}

/**
 * Counts where the text read so far ends: line (1-based; LF, CR and CRLF each end one line) and column
 * (1-based, in characters), for text pushed in chunks of any size.
 */
export class TextPosition {
  line = 1;
  column = 1;
  #afterCr = false;

  /** Reads the next characters. */
  push(text: string): void {
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      const afterCr = this.#afterCr;
      this.#afterCr = code === 13;
      if (code === 10 && afterCr) continue;
      if (code === 10 || code === 13) {
        this.line++;
        this.column = 1;
      } else if (code < 0xdc00 || code > 0xdfff) {
        // The second half of a surrogate pair is no character of its own.
        this.column++;
      }
    }
  }
}
