package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/harvest"
	"castscope/backend/job"
	"castscope/backend/video"
)

// thumbCount is how many thumbnails extract writes for the UI (poster
// first, then evenly spaced).
const thumbCount = 8

func (d Deps) validateStage() job.StageDef {
	return job.StageDef{
		Name: "validate", Label: Label("validate"), Flag: "validated",
		Run: func(ctx context.Context, r job.Reporter) (any, error) {
			ep, err := d.episodeOf(ctx, r)
			if err != nil {
				return nil, err
			}
			r.Progress(0, 1, "files")
			info, err := video.Probe(ctx, ep.VideoPath)
			if err != nil {
				return nil, err
			}
			raw, err := json.Marshal(info)
			if err != nil {
				return nil, fmt.Errorf("pipeline: encode probe: %w", err)
			}
			if err := d.Store.SetEpisodeVideo(ctx, ep.Key, raw); err != nil {
				return nil, errs.Wrap(errs.RegistryUpdateFailed, err, "Could not store the video's properties in the registry.", "Check the data folder, then retry.")
			}
			r.Progress(1, 1, "files")
			r.Logf("video codec=%s size=%dx%d fps=%.3f frames=%d duration=%.1fs audio=%v", info.Codec, info.Width, info.Height, info.FPS, info.Frames, info.DurationS, info.HasAudio)
			if info.HiddenFrames > 0 {
				r.Logf("edit_list hidden_frames=%d (frame 0 is the first frame shown, at 0 s)", info.HiddenFrames)
			}
			return info, nil
		},
		Fingerprint: func(ctx context.Context, j job.Job) (string, error) {
			ep, err := d.Store.Episode(ctx, j.EpisodeKey)
			// validate/2: Frames leaves out the frames an edit list
			// hides, and still images are refused.
			return fingerprint("validate/2", ep.Fingerprint, ep.VideoPath), err
		},
		Complete: func(ctx context.Context, j job.Job) bool {
			ep, err := d.Store.Episode(ctx, j.EpisodeKey)
			return err == nil && len(ep.Video) > 0
		},
	}
}

// validatedEpisode loads the job's episode and the probe result that the
// validate stage stored.
func (d Deps) validatedEpisode(ctx context.Context, r job.Reporter) (episode.Episode, video.Info, error) {
	ep, err := d.episodeOf(ctx, r)
	if err != nil {
		return ep, video.Info{}, err
	}
	info, err := videoInfo(ep)
	return ep, info, err
}

// videoInfo returns the probe result the validate stage stored.
func videoInfo(ep episode.Episode) (video.Info, error) {
	info, ok := video.StoredInfo(ep.Video)
	if !ok {
		return info, errs.New(errs.ArtifactMissing, fmt.Sprintf("Episode %s has not been validated.", ep.Key), "Run the validate stage first.")
	}
	return info, nil
}

func sampling(s JobSettings) video.Sampling {
	if s.SampleFPS < 0 {
		return video.Sampling{}
	}
	return video.Sampling{FPS: s.SampleFPS}
}

// ExtractResult is the extract stage's result.
type ExtractResult struct {
	FramesTotal   int64   `json:"frames_total"`
	FramesSampled int64   `json:"frames_sampled"`
	SampleFPS     float64 `json:"sample_fps"`
	Thumbnails    int     `json:"thumbnails"`
}

func (d Deps) extractStage() job.StageDef {
	return job.StageDef{
		Name: "extract", Label: Label("extract"), Flag: "extracted_frames",
		Run: func(ctx context.Context, r job.Reporter) (any, error) {
			ep, info, err := d.validatedEpisode(ctx, r)
			if err != nil {
				return nil, err
			}
			s := settingsOf(r.Job())
			idx := video.SampleIndices(info, sampling(s))
			dir := harvest.Dir(d.DataDir, ep.Key)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, errs.FS(err, dir)
			}
			rows := make([]harvest.ManifestRow, 0, info.Frames)
			sampled := make(map[int64]bool, len(idx))
			for _, i := range idx {
				sampled[i] = true
			}
			for i := int64(0); i < info.Frames; i++ {
				rows = append(rows, harvest.ManifestRow{
					FrameIndex: i, PTSms: video.PTSms(info, i),
					Width: int32(info.Width), Height: int32(info.Height), Sampled: sampled[i],
				})
			}
			if err := harvest.WriteFile(filepath.Join(dir, harvest.ManifestFile), rows); err != nil {
				return nil, err
			}
			r.Progress(0, thumbCount, "thumbnails")
			thumbs, err := writeThumbnails(ctx, r, ep.VideoPath, info, filepath.Join(dir, harvest.ThumbsDir))
			if err != nil {
				return nil, err
			}
			r.Logf("frames=%d sampled=%d fps=%.2f thumbnails=%d", info.Frames, len(idx), s.SampleFPS, thumbs)
			return ExtractResult{FramesTotal: info.Frames, FramesSampled: int64(len(idx)), SampleFPS: s.SampleFPS, Thumbnails: thumbs}, nil
		},
		Fingerprint: func(ctx context.Context, j job.Job) (string, error) {
			ep, err := d.Store.Episode(ctx, j.EpisodeKey)
			// The manifest is made from the probe result: a new one
			// (another frame count) makes a new manifest.
			return fingerprint("extract/2", ep.Fingerprint, settingsOf(j).SampleFPS, string(ep.Video)), err
		},
		Complete: func(ctx context.Context, j job.Job) bool {
			return exists(filepath.Join(harvest.Dir(d.DataDir, j.EpisodeKey), harvest.ManifestFile))
		},
	}
}

// writeThumbnails writes poster.jpg (10 % in) and thumbCount-1 evenly
// spaced thumbnails named by frame index. A frame that cannot be decoded is
// skipped, not fatal: the manifest is what later stages need.
func writeThumbnails(ctx context.Context, r job.Reporter, path string, info video.Info, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, errs.FS(err, dir)
	}
	n := 0
	for k := 0; k < thumbCount; k++ {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		idx := info.Frames * int64(2*k+1) / int64(2*thumbCount)
		name := fmt.Sprintf("%08d.jpg", idx)
		if k == 0 {
			idx, name = info.Frames/10, harvest.PosterFile
		}
		b, err := video.Thumbnail(path, idx, 320)
		if err != nil {
			r.Logf("thumbnail frame=%d skipped: %v", idx, errs.As(err).Message)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return n, errs.FS(err, filepath.Join(dir, name))
		}
		n++
		r.Progress(int64(k+1), thumbCount, "thumbnails")
	}
	return n, nil
}
