-- How many times in a row a stage's process died while it ran, with no
-- checkpoint saved in between (a crash loop ends the stage in error).
ALTER TABLE stages ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
