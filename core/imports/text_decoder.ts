/**
 * A TextDecoder for the encodings a file can be read in that decodes Windows-1252 the WHATWG way on every
 * runtime. Node's TextDecoder("windows-1252") decodes bytes 0x80–0x9F as Latin-1 C1 controls (so 0x80 is
 * U+0080, not "€"; nodejs/node issue 56542), while Deno and browsers follow the WHATWG Encoding Standard;
 * the import runs under both, and must store the same text.
 */
import type { TextEncodingName } from "./text_encoding.ts";

/**
 * WHATWG index-windows-1252 for bytes 0x80–0x9F (https://encoding.spec.whatwg.org/index-windows-1252.txt);
 * every other byte is its own code point. The five bytes the index leaves undefined map to C1 controls.
 */
const C1_TABLE = [
  0x20ac,
  0x81,
  0x201a,
  0x0192,
  0x201e,
  0x2026,
  0x2020,
  0x2021,
  0x02c6,
  0x2030,
  0x0160,
  0x2039,
  0x0152,
  0x8d,
  0x017d,
  0x8f,
  0x90,
  0x2018,
  0x2019,
  0x201c,
  0x201d,
  0x2022,
  0x2013,
  0x2014,
  0x02dc,
  0x2122,
  0x0161,
  0x203a,
  0x0153,
  0x9d,
  0x017e,
  0x0178,
];

/** The subset of TextDecoder the import and the preview use. */
export interface ByteDecoder {
  decode(bytes?: Uint8Array, options?: { stream?: boolean }): string;
}

/** Windows-1252 is one byte per character: nothing is held back between chunks, and no byte is invalid. */
class Windows1252Decoder implements ByteDecoder {
  decode(bytes: Uint8Array = new Uint8Array(0)): string {
    let text = "";
    for (let start = 0; start < bytes.length; start += 8192) {
      const codes = Array.from(
        bytes.subarray(start, start + 8192),
        (byte) => byte >= 0x80 && byte <= 0x9f ? C1_TABLE[byte - 0x80] : byte,
      );
      text += String.fromCharCode(...codes);
    }
    return text;
  }
}

const nativeIsWhatwg = (() => {
  try {
    return new TextDecoder("windows-1252").decode(Uint8Array.of(0x80, 0x92)) === "\u20ac\u2019";
  } catch {
    return false;
  }
})();

/**
 * A decoder for `encoding` with TextDecoder's options (`fatal` only matters for the UTF encodings; a
 * Windows-1252 byte is never invalid).
 */
export function textDecoder(
  encoding: TextEncodingName,
  options?: { fatal?: boolean; ignoreBOM?: boolean },
): ByteDecoder {
  if (encoding === "windows-1252" && !nativeIsWhatwg) return new Windows1252Decoder();
  return new TextDecoder(encoding, options);
}
