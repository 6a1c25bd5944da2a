-- One comparison key for product texts (core/text_key.ts): Unicode NFKC, format characters removed,
-- white space folded, case folded; the search key also ignores accents. Before this, product_text_key()
-- (0003) trimmed, collapsed ASCII-ish spaces and lower-cased, so `Cafe\u0301 cre\u0300me` (decomposed
-- accents) never met `Café crème`, `Garden\u200b hose 20\u00a0m` never met `Garden hose 20 m`, and on the
-- embedded database (C locale) lower() left every non-ASCII capital as it was.
--
-- SQL cannot compute that key everywhere (no Unicode case folding under the C locale, no normalize()
-- before PostgreSQL 13), so the key is computed in TypeScript and stored: on insert by the importer, and
-- for rows without one (every row from before this migration, rows written by other tools) by
-- fillTextKeys (core/db/text_key_fill.ts), which migrate() runs right after the scripts and the readers
-- of the keys run before they read. A NULL key means "not computed yet", never "no text".
ALTER TABLE products ADD COLUMN text_key text;
ALTER TABLE products ADD COLUMN search_key text;

-- The exact-match memory and the reuse of decisions on append join on the stored key. A hash index, as
-- for the expression it replaces (0005): a btree entry cannot hold a long text.
DROP INDEX IF EXISTS products_text_key;
DROP FUNCTION IF EXISTS product_text_key(text);
CREATE INDEX products_text_key ON products USING hash (text_key);
-- The rows whose keys are still to be computed, found without reading the table.
CREATE INDEX products_text_key_missing ON products (id) WHERE text_key IS NULL;

-- The queue's search words come from the search key; a row added before its key is computed takes the
-- text as it is, and fillTextKeys rewrites its words once the key is there.
CREATE OR REPLACE FUNCTION review_queue_add(ids integer[]) RETURNS void
  LANGUAGE sql
  AS $$
  INSERT INTO review_queue (model_id, product_id, import_id, suggestion, rank_confidence, rank_margin, search)
  SELECT embeddings.model_id, embeddings.product_id, products.import_id, suggestions.value,
         coalesce(suggestions.confidence, -1), coalesce(suggestions.margin, -1),
         to_tsvector('simple', left(coalesce(products.search_key, products.text), 10000))
  FROM embeddings
  JOIN products ON products.id = embeddings.product_id
  JOIN imports ON imports.id = products.import_id AND imports.status = 'imported'
  LEFT JOIN suggestions ON suggestions.product_id = embeddings.product_id
  WHERE embeddings.product_id = ANY(ids)
    AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = embeddings.product_id)
  ON CONFLICT (model_id, product_id) DO NOTHING
$$;
