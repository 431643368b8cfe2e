// Package pipeline is the one package that joins the job engine and the
// vision packages: it turns video, face and artifact code into job stages
// (validate, extract, detect, track, cluster, analytics) with the lifecycle
// the engine enforces. Stages read their settings from the job (so two jobs
// with other settings are other work), their inputs from the registry and
// earlier artifacts, and write artifacts under data/harvest/{key}/.
//
// It holds the stages and nothing else: reading an artifact back is
// harvest's (ReadTracks, ReadIdentities, ReadReport…), the colour histogram
// of shot cuts is video's, the curation state is identity's, filtering a
// report to one person is screentime's. Nothing outside the service
// imports pipeline but bench, which measures its stages.
//
// Decisions:
//   - extract writes the frame manifest and a handful of thumbnails, not the
//     frames: detect decodes the video again in a stream. Decoding sampled
//     frames is cheaper than writing and re-reading them (see package video).
//   - detect is a bounded pipeline of goroutines — decode → detect (batched)
//     → align + embed (batched) → write — joined by small channels, so
//     decoding overlaps inference and memory does not grow with the video.
//   - detect writes Parquet in parts of a few hundred frames; after both the
//     detections and the embeddings part are durable it saves a checkpoint
//     (last frame, next detection id), so a crash resumes from there with no
//     frame lost or written twice.
package pipeline
