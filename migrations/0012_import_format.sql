-- How an uploaded file was read: its text encoding (WHATWG label: utf-8, utf-16le, utf-16be,
-- windows-1252) and the file line (1-based) of its header row. NULL for imports made before.
ALTER TABLE imports ADD COLUMN encoding text;
ALTER TABLE imports ADD COLUMN header_line integer;
