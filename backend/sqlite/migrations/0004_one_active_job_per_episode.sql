-- One unfinished job per episode, enforced by the database: two processes
-- racing to start a job for one episode get one job (CreateJob returns the
-- unfinished one). A data folder of an older version may hold more than one:
-- the later ones end first, their unfinished stages in error with
-- ERR_CANCELED (their artifacts are kept), as a cancel would end them.
CREATE TEMP TABLE later_active AS
    SELECT j.id FROM jobs j
    WHERE j.finished_at IS NULL
      AND EXISTS (SELECT 1 FROM jobs o WHERE o.episode_key = j.episode_key AND o.finished_at IS NULL AND o.seq < j.seq);
UPDATE stages
    SET status = 'error',
        finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        owner = '',
        error = '{"code":"ERR_CANCELED","message":"Not run: another job of this episode was already running.","hint":"Run the episode again once that job has ended."}'
    WHERE job_id IN (SELECT id FROM later_active) AND status IN ('pending', 'running');
UPDATE jobs SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id IN (SELECT id FROM later_active);
DROP TABLE later_active;
CREATE UNIQUE INDEX jobs_active_episode ON jobs (episode_key) WHERE finished_at IS NULL;
