// Package sqlite is Castscope's source of truth: the episode registry, jobs
// and their stages (it implements job.Store), log lines and throughput
// history in {data}/castscope.db on modernc.org/sqlite.
//
// Decisions:
//   - WAL mode; one writer connection (all writes serialized through it,
//     BEGIN IMMEDIATE) and a pool of reader connections, both with a busy
//     timeout, so SQLITE_BUSY does not reach callers.
//   - Migrations are embedded SQL files applied in order inside one
//     transaction each; schema_migrations records the versions.
//   - After every committed change the affected episodes/{key}/state.json
//     and data/jobs/{job_id}/meta.json are rewritten atomically (temp file
//   - rename), in commit order. An export that fails (disk full) does not
//     undo the commit: it is logged, remembered, and retried on the next
//     write, ExportAll and Close, which return it as a typed error.
//   - Open never writes to a file that is not a SQLite database:
//     ERR_DATABASE_CORRUPT leaves the user's file untouched.
//   - RegisterEpisode deduplicates by path+size+mtime, then by a content
//     hash of size + first and last MiB; a key taken by another file gets
//     a "_2", "_3"… suffix.
//   - Times are stored as RFC 3339 UTC text with milliseconds.
package sqlite
