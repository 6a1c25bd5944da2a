-- A catalogue field's rows suggested one entry, least confident first: the group a reviewer decides at once
-- (POST /fields/{field}/decisions/bulk), read by GET /fields/{field}/review?entry_id=. Without it that page
-- walks the field's whole queue (catalogue_matches_queue) filtering on the entry: a full scan of a large
-- field for a small group.
CREATE INDEX catalogue_matches_suggested_entry ON catalogue_matches (field_id, entry_id, confidence, product_id)
  WHERE source = 'suggested';
