/**
 * bytea to and from PGlite's text protocol through node:buffer's native hex codec. PGlite's own
 * codec maps every byte through a JS string (`Array.from(bytes).map(b => b.toString(16))`): storing a model
 * version's 8 MB lexical.bin took ~1 s in one statement on the embedded database's only thread, and
 * reading it back ~0.5 s (measured here on 2 cores; the same bytes through this codec: see
 * pglite_bytea_test.ts and the README's bench:retrain-latency).
 *
 * Wire format: PostgreSQL's bytea hex output, `\x` then two lowercase hex digits per byte
 * (https://www.postgresql.org/docs/current/datatype-binary.html#DATATYPE-BINARY-BYTEA-HEX-FORMAT).
 */
import { Buffer } from "node:buffer";

/** PostgreSQL's type oid of bytea (pg_type.oid). */
export const BYTEA_OID = 17;

/** A parameter as PGlite sends it: `\x…`. Throws for anything but a Uint8Array, as PGlite's own does. */
export function serializeBytea(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new Error("Invalid input for bytea type");
  return "\\x" + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
}

/** A column value from its text form `\x…` (what PostgreSQL sends with bytea_output = hex, its default). */
export function parseBytea(text: string): Uint8Array {
  if (!text.startsWith("\\x")) throw new Error("Cannot read a bytea value that is not in hex format");
  const bytes = Buffer.from(text.slice(2), "hex");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
