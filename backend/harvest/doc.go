// Package harvest owns an episode's artifact folder, data/harvest/{key}/:
// the names of its files (names.go: no other package writes one), the
// Parquet schemas of every stage's outputs (manifest, detections and
// embeddings; tracks, identities and segments in analysis.go), and their
// crash-safe writers and readers: rows to and from the domain types
// (TrackRowOf and TrackRow.Track, IdentityRowOf and IdentityRow.Identity)
// and the typed readers the stages and the service share (ReadTracks,
// ReadIdentities, ReadIdentitiesMetrics, ReadReport, TracksDigest). It
// sits above track, identity and screentime and below pipeline and
// service. The stages (package pipeline) read their inputs and write their
// outputs through it; the state inspector and the service read through it.
//
// Decisions:
//   - Every file is written atomically: a temporary file beside the target,
//     fsync, rename, fsync of the folder. A reader sees the old file or the
//     complete new one; a rerun replaces an artifact only when it finishes.
//   - Long outputs are written in parts (PartWriter): each Flush makes a
//     numbered part, {name}.parts/000001.parquet, durable the same way, and
//     stores the caller's Mark (next frame, frames, next id) in the part's
//     key-value metadata. The parts on disk are therefore the checkpoint:
//     there is nothing else to keep in step with them. On open, temporary
//     files and everything from the first missing or damaged part on are
//     deleted; Finish merges the parts into {name}.parquet.
//   - Two files that checkpoint together (detections and embeddings) go
//     through DetectSet: part k of both carries the same Mark, flushed
//     detections first; on open both are cut back to their longest common
//     run of equal marks. Finish stages both merged files before renaming
//     either and removes the parts last, so a crash anywhere resumes or
//     re-finishes to the same bytes. Other stages that need the same can
//     follow the pattern with PartWriter.Marks and Truncate.
//   - Float vectors are plain repeated fields (not the LIST logical type):
//     faster to read, and every Parquet reader understands them. Snappy
//     compression, row groups of at most 64k rows.
//   - Errors users meet are typed: ERR_DISK_FULL (ENOSPC, EDQUOT),
//     ERR_READ_ONLY (EROFS, EACCES), ERR_ARTIFACT_WRITE_FAILED otherwise;
//     reading a missing or damaged file is ERR_ARTIFACT_MISSING.
package harvest
