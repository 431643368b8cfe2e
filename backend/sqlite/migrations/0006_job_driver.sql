-- Who runs a job's stages when it is not this computer's runner
-- ("temporal HOST:PORT/NAMESPACE"); '' is the local runner.
ALTER TABLE jobs ADD COLUMN driver TEXT NOT NULL DEFAULT '';
