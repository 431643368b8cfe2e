-- The curation log: what the user said about an episode's identities
-- (rename, merge, move, not this person, lock). Append-only: undo marks
-- the newest operation in effect as undone instead of deleting it, so the
-- history stays readable.
CREATE TABLE curation_ops (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    episode_key TEXT NOT NULL,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    op          TEXT NOT NULL,     -- identity.Op as JSON
    undone_at   TEXT
);
CREATE INDEX curation_ops_episode ON curation_ops (episode_key, seq);

-- The cast list (facebank): named headshots per show with their face
-- embedding (little-endian float32, L2-normalised).
CREATE TABLE headshots (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    show      TEXT NOT NULL,
    name      TEXT NOT NULL,
    file      TEXT NOT NULL,
    sha256    TEXT NOT NULL,
    embedding BLOB NOT NULL,
    added_at  TEXT NOT NULL
);
CREATE INDEX headshots_show ON headshots (show, id);
CREATE UNIQUE INDEX headshots_show_file ON headshots (show, sha256);
