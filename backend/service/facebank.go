package service

import (
	"context"
	"path/filepath"
	"strings"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/identity"
	"castscope/backend/pipeline"
)

// HeadshotResult is the outcome of adding one cast-list photo.
type HeadshotResult struct {
	Path     string             `json:"path"`
	Headshot *identity.Headshot `json:"headshot,omitempty"`
	Error    *errs.Error        `json:"error,omitempty"`
}

// Facebank returns the cast list of show.
func (b *Backend) Facebank(ctx context.Context, show string) ([]identity.Headshot, error) {
	hs, err := b.store.Headshots(ctx, strings.TrimSpace(show))
	return nonNilSlice(hs), err
}

// AddHeadshots adds photos to show's cast list, each named after its file
// ("kyle_richards.jpg" → "kyle richards"; rename it after). Each file
// succeeds or fails alone; the models are loaded once for all of them.
// Episodes of the show are relabelled the next time cluster runs.
func (b *Backend) AddHeadshots(ctx context.Context, show string, paths []string) ([]HeadshotResult, error) {
	show = strings.TrimSpace(show)
	if show == "" {
		return nil, errs.New(errs.Usage, "Choose the show the cast list belongs to.", "Open an episode of the show first.")
	}
	out := make([]HeadshotResult, 0, len(paths))
	if len(paths) == 0 {
		return out, nil
	}
	h, err := pipeline.OpenHeadshots(b.pipelineEnv())
	if err != nil {
		return nil, err
	}
	defer h.Close()
	for _, p := range paths {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		r := HeadshotResult{Path: p}
		hs, err := h.Headshot(show, NameOfFile(p), p)
		if err == nil {
			hs, err = b.store.AddHeadshot(ctx, hs)
		}
		if err != nil {
			r.Error = errs.As(err)
			b.Log.Slog().Warn("headshot not added", "show", show, "path", p, "error", err)
		} else {
			r.Headshot = &hs
		}
		out = append(out, r)
	}
	return out, nil
}

// NameOfFile is the name a headshot gets from its file name.
func NameOfFile(p string) string {
	base := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
	return strings.Join(strings.Fields(strings.NewReplacer("_", " ", ".", " ", "-", " ").Replace(base)), " ")
}

// RenameHeadshot renames a cast-list entry.
func (b *Backend) RenameHeadshot(ctx context.Context, id int64, name string) error {
	return b.store.RenameHeadshot(ctx, id, name)
}

// RemoveHeadshot deletes a cast-list entry.
func (b *Backend) RemoveHeadshot(ctx context.Context, id int64) error {
	return b.store.RemoveHeadshot(ctx, id)
}

// ShowOf is the show whose cast list applies to ep.
func ShowOf(ep episode.Episode) string { return episode.ShowOf(ep.Key) }
