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
//   - rename) by one background exporter that coalesces bursts (50 ms)
//     and always reads the committed state, so the last export of a file
//     reflects its last commit. Flush writes the queue now (job.Runner.Wait
//     calls it before returning; Close calls it). The owed exports are
//     recorded in dirty_exports inside the same transaction, so a crash
//     between commit and export is healed by the next Open. An export that
//     fails (disk full) never undoes the commit: it is logged, kept, retried
//     on the next pass, and reported typed by Flush, ExportErr, ExportAll
//     and Close.
//   - Open never writes to a file that is not a SQLite database:
//     ERR_DATABASE_CORRUPT leaves the user's file untouched.
//   - SQLite failures reach users typed (mapErr): SQLITE_FULL, and a disk
//     I/O error met while the data folder's disk has under 4 MiB free, are
//     ERR_DISK_FULL; SQLITE_READONLY (any extended code) and SQLITE_PERM
//     are ERR_READ_ONLY; any other disk I/O error, and a database file
//     that cannot be opened, are ERR_REGISTRY_UPDATE_FAILED.
//   - OpenReadOnly serves commands that only read: mode=ro, plus
//     immutable=1 where the folder cannot be written; no migration, no
//     exports, every write ERR_READ_ONLY.
//   - An episode's fingerprint is the SHA-256 of every byte of its video
//     (streamed in 1 MiB reads). The file's identity when hashed (size,
//     mtime and ctime in ns, device, inode) is stored beside it, so an
//     untouched file is not read again and any write, even one that puts
//     the mtime back, is. New content at a registered path updates that
//     episode (new fingerprint, flags cleared), so stages run again rather
//     than being skipped; the same content elsewhere is the same episode;
//     a key taken by another file gets a "_2", "_3"… suffix. Episodes of
//     earlier versions (size + first and last MiB) keep their fingerprint
//     while their file is unchanged. RefreshEpisode does the same check
//     for a registered episode.
//   - Times are stored as RFC 3339 UTC text with milliseconds.
package sqlite
