/**
 * The "similar rows" of a review card: unlabelled rows embedded by the running model that share the
 * card's current suggestion, nearest first by cosine similarity, so a reviewer can decide them as one
 * group. The scan is exact over the rows sharing the suggestion, not an HNSW search: pgvector 0.6 (the
 * oldest server we support) has no iterative index scans, so an index search filtered on the suggestion
 * would return only the few of its ef_search (40) candidates that happen to share it, and a group that
 * silently misses rows would make the preview lie. The candidate set is one suggested value's unlabelled
 * rows: over 500 of them the query answered in 20–40 ms on PGlite (a 2-core machine, under load).
 */
import type { SimilarQuery, SimilarRow, SimilarRows } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";

interface Anchor {
  product_id: number;
  text: string;
  suggestion: string | null;
  confidence: number | null;
  labelled: boolean;
  embedded: boolean;
}

/** Reads the group around product `productId`; undefined when there is no such product. */
export async function readSimilarRows(
  db: Queryable,
  productId: number,
  options: SimilarQuery & { modelId: string },
): Promise<SimilarRows | undefined> {
  const [anchor] = await db.query<Anchor>(sql`
    SELECT products.id AS product_id, products.text, suggestions.value AS suggestion, suggestions.confidence,
           EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = products.id) AS labelled,
           EXISTS (SELECT 1 FROM embeddings
                   WHERE embeddings.product_id = products.id AND embeddings.model_id = ${options.modelId})
             AS embedded
    FROM products LEFT JOIN suggestions ON suggestions.product_id = products.id
    WHERE products.id = ${productId}`);
  if (!anchor) return undefined;
  const { embedded, ...shown } = anchor;
  const answer: SimilarRows = {
    anchor: shown,
    suggestion: anchor.suggestion,
    min_similarity: options.min_similarity,
    limit: options.limit,
    import_id: options.import_id ?? null,
    rows: [],
    reason: null,
    message: null,
  };
  if (!embedded) {
    return {
      ...answer,
      reason: "no_vector",
      message:
        `Product ${productId} has no vector of "${options.modelId}" yet: similar rows appear once it is embedded`,
    };
  }
  if (anchor.suggestion === null) {
    return {
      ...answer,
      reason: "no_suggestion",
      message: `Product ${productId} has no suggestion: similar rows are grouped by a shared suggestion`,
    };
  }
  // The threshold is applied as a distance so the comparison reads the same expression as the ordering.
  const maxDistance = 1 - options.min_similarity;
  const rows = await db.query<SimilarRow>(sql`
    WITH anchor AS (
      SELECT embedding FROM embeddings WHERE product_id = ${productId} AND model_id = ${options.modelId}
    ), candidates AS MATERIALIZED (
      SELECT products.id AS product_id, products.import_id, products.row_number, products.text,
             suggestions.confidence, embeddings.embedding <=> anchor.embedding AS distance
      FROM suggestions
      JOIN products ON products.id = suggestions.product_id
      JOIN embeddings ON embeddings.product_id = products.id AND embeddings.model_id = ${options.modelId}
      CROSS JOIN anchor
      WHERE suggestions.value = ${anchor.suggestion}
        AND products.id <> ${productId}
        ${options.import_id === undefined ? sql`` : sql`AND products.import_id = ${options.import_id}`}
        AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = products.id)
    )
    SELECT product_id, import_id, row_number, text, confidence,
           greatest(0, least(1, 1 - distance))::float8 AS similarity
    FROM candidates
    WHERE distance <= ${maxDistance}
    ORDER BY distance, product_id
    LIMIT ${options.limit}`);
  return { ...answer, rows };
}
