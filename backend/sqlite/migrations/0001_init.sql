CREATE TABLE episodes (
    key         TEXT PRIMARY KEY,
    title       TEXT NOT NULL DEFAULT '',
    video_path  TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL DEFAULT 0,
    mod_time    TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    video       TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX episodes_path ON episodes (video_path, size_bytes, mod_time);
CREATE INDEX episodes_fingerprint ON episodes (fingerprint);

CREATE TABLE episode_states (
    episode_key TEXT NOT NULL REFERENCES episodes (key) ON DELETE CASCADE,
    flag        TEXT NOT NULL,
    value       INTEGER NOT NULL,
    at          TEXT,
    PRIMARY KEY (episode_key, flag)
);

CREATE TABLE jobs (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    episode_key      TEXT NOT NULL,
    mode             TEXT NOT NULL,
    settings         TEXT,
    rerun            INTEGER NOT NULL DEFAULT 0,
    signature        TEXT NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    finished_at      TEXT
);
CREATE INDEX jobs_episode ON jobs (episode_key, seq);
CREATE UNIQUE INDEX jobs_active_signature ON jobs (signature) WHERE finished_at IS NULL;

CREATE TABLE stages (
    job_id        TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    ord           INTEGER NOT NULL,
    status        TEXT NOT NULL,
    stale         INTEGER NOT NULL DEFAULT 0,
    attempt       INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 0,
    done          INTEGER NOT NULL DEFAULT 0,
    total         INTEGER NOT NULL DEFAULT 0,
    unit          TEXT NOT NULL DEFAULT '',
    started_at    TEXT,
    finished_at   TEXT,
    heartbeat_at  TEXT,
    next_retry_at TEXT,
    result        TEXT,
    error         TEXT,
    skip_reason   TEXT NOT NULL DEFAULT '',
    owner         TEXT NOT NULL DEFAULT '',
    fingerprint   TEXT NOT NULL DEFAULT '',
    checkpoint    TEXT,
    PRIMARY KEY (job_id, name)
);
CREATE INDEX stages_status ON stages (status);
CREATE INDEX stages_name ON stages (name, status);

CREATE TABLE stage_rates (
    stage      TEXT NOT NULL,
    rate_key   TEXT NOT NULL,
    rate       REAL NOT NULL,
    runs       INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (stage, rate_key)
);

CREATE TABLE logs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          TEXT NOT NULL,
    level       TEXT NOT NULL,
    job_id      TEXT NOT NULL DEFAULT '',
    stage       TEXT NOT NULL DEFAULT '',
    episode_key TEXT NOT NULL DEFAULT '',
    line        TEXT NOT NULL
);
CREATE INDEX logs_job ON logs (job_id, id);
CREATE INDEX logs_episode ON logs (episode_key, id);

-- exports owed after a commit (crash or full disk between commit and export)
CREATE TABLE dirty_exports (
    kind TEXT NOT NULL, -- 'episode' | 'job'
    id   TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
