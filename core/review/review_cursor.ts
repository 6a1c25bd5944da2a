/**
 * The review queue's opaque `cursor`: base64url of a small JSON document, validated like any other input
 * when it comes back (a client may send anything). Opaque so the position can change shape without
 * breaking clients; not secret (it holds only sort keys and product ids the client has already seen).
 */
import { z } from "zod";
import { DomainError } from "../domain_error.ts";

/**
 * A position in the queue's order: (rank_priority, rank_confidence, rank_margin, product_id) of
 * review_queue (migration 0014).
 */
export interface RankKey {
  priority: number;
  confidence: number;
  margin: number;
  id: number;
}

const Id = z.number().int().positive().max(2_147_483_647);
const RankKeySchema = z.object({
  priority: z.number(),
  confidence: z.number(),
  margin: z.number(),
  id: Id,
});

/** Where the next page starts: in the queue's order (skipping rows shown already), or by distance. */
export const ReviewCursor = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("rank"), from: RankKeySchema, seen: z.array(Id).max(1000) }),
  z.object({ kind: z.literal("similar"), target: Id, distance: z.number(), id: Id }),
]);
export type ReviewCursor = z.infer<typeof ReviewCursor>;

/** Encodes a cursor for `next_cursor`. */
export function encodeCursor(cursor: ReviewCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify(cursor));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Decodes a `cursor` parameter; 422 when it is not one this API made. */
export function decodeCursor(text: string): ReviewCursor {
  let value: unknown;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    value = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0))));
  } catch {
    value = undefined;
  }
  const parsed = ReviewCursor.safeParse(value);
  if (!parsed.success) {
    throw new DomainError(
      "invalid",
      `Invalid query: cursor "${text.slice(0, 40)}" is not a cursor of this API`,
    );
  }
  return parsed.data;
}
