-- The bundled sample catalogue (datasets/sample/) is an import like any other, marked so the imports list
-- can say it is a sample and a second load of it can be refused.
ALTER TABLE imports ADD COLUMN sample boolean NOT NULL DEFAULT false;
