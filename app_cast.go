package main

import (
	"net/url"
	"os"
	"path/filepath"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"castscope/backend/atomicfile"
	"castscope/backend/errs"
	"castscope/backend/identity"
	"castscope/backend/screentime"
	"castscope/backend/service"
)

// The Cast and Report views' bound methods. Each is a few lines
// over package service, like app.go's.

// Cast returns the Cast view of key. It only reads: a view whose
// identities lag behind the curation log or the cast list says so
// (pending, and catch_up when nothing brings it up to date), and the page
// then calls CatchUpCast.
func (a *App) Cast(key string) (service.CastView, error) {
	b, err := a.ready()
	if err != nil {
		return service.CastView{}, err
	}
	v, err := b.Cast(a.ctx, key)
	return v, uiError(err)
}

// CatchUpCast brings key's identities up to date (cluster → analytics)
// and returns the job that does; "" when they are current. After a failed
// run it queues nothing and returns that run's error.
func (a *App) CatchUpCast(key string) (string, error) {
	b, err := a.ready()
	if err != nil {
		return "", err
	}
	id, err := b.CatchUp(a.ctx, key)
	return id, uiError(err)
}

// FaceThumbs returns a face thumbnail (JPEG data URL) per track id.
func (a *App) FaceThumbs(key string, trackIDs []int64) (map[string]string, error) {
	b, err := a.ready()
	if err != nil {
		return nil, err
	}
	m, err := b.FaceThumbs(a.ctx, key, trackIDs)
	return m, uiError(err)
}

// Curate records a curation action and returns the job that applies it.
func (a *App) Curate(key string, req service.CurateRequest) (string, error) {
	b, err := a.ready()
	if err != nil {
		return "", err
	}
	id, err := b.Curate(a.ctx, key, req)
	return id, uiError(err)
}

// UndoCuration takes back the newest curation action.
func (a *App) UndoCuration(key string) (string, error) {
	b, err := a.ready()
	if err != nil {
		return "", err
	}
	id, err := b.UndoCuration(a.ctx, key)
	return id, uiError(err)
}

// ScreenTime returns the screen-time report of key.
func (a *App) ScreenTime(key string) (screentime.Report, error) {
	b, err := a.ready()
	if err != nil {
		return screentime.Report{}, err
	}
	r, err := b.ScreenTime(a.ctx, key)
	return r, uiError(err)
}

// CompareLogged compares pasted hand-logged timings with the report.
func (a *App) CompareLogged(key, text string) ([]screentime.Comparison, error) {
	b, err := a.ready()
	if err != nil {
		return nil, err
	}
	c, err := b.CompareLogged(a.ctx, key, text)
	return c, uiError(err)
}

// OnScreen says who is on screen at a moment, with the frame.
func (a *App) OnScreen(key, at string) (service.OnScreen, error) {
	b, err := a.ready()
	if err != nil {
		return service.OnScreen{}, err
	}
	o, err := b.OnScreen(a.ctx, key, at)
	return o, uiError(err)
}

// ExportScreenTime asks where to save, then writes the export; "" when the
// user canceled.
func (a *App) ExportScreenTime(key, format, person string) (string, error) {
	b, err := a.ready()
	if err != nil {
		return "", err
	}
	data, err := b.ExportScreenTime(a.ctx, key, format, person, false)
	if err != nil {
		return "", uiError(err)
	}
	path, err := runtime.SaveFileDialog(a.ctx, runtime.SaveDialogOptions{
		Title:           "Export screen time",
		DefaultFilename: key + "_screentime." + format,
	})
	if err != nil || path == "" {
		return "", uiError(err)
	}
	return path, uiError(atomicfile.Write(path, data))
}

// OpenReport opens the printable run report in the system browser.
func (a *App) OpenReport(key string) error {
	b, err := a.ready()
	if err != nil {
		return err
	}
	p := b.ReportPath(key)
	if _, err := os.Stat(p); err != nil {
		return uiError(errs.New(errs.ArtifactMissing, "This episode has no run report yet.", "Run the analytics stage first."))
	}
	runtime.BrowserOpenURL(a.ctx, fileURL(p))
	return nil
}

// fileURL is a file:// URL for an absolute path (spaces and "#" escaped).
func fileURL(p string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

// Facebank returns the cast list of show.
func (a *App) Facebank(show string) ([]identity.Headshot, error) {
	b, err := a.ready()
	if err != nil {
		return nil, err
	}
	hs, err := b.Facebank(a.ctx, show)
	return hs, uiError(err)
}

// AddHeadshots adds photos to show's cast list; each file fails alone.
func (a *App) AddHeadshots(show string, paths []string) ([]service.HeadshotResult, error) {
	b, err := a.ready()
	if err != nil {
		return nil, err
	}
	r, err := b.AddHeadshots(a.ctx, show, paths)
	return r, uiError(err)
}

// ChooseHeadshots opens the native file dialog, then adds what was chosen.
func (a *App) ChooseHeadshots(show string) ([]service.HeadshotResult, error) {
	paths, err := runtime.OpenMultipleFilesDialog(a.ctx, runtime.OpenDialogOptions{
		Title:   "Add headshots to the cast list",
		Filters: []runtime.FileFilter{{DisplayName: "Photos", Pattern: "*.jpg;*.jpeg;*.png;*.webp;*.bmp"}},
	})
	if err != nil || len(paths) == 0 {
		return []service.HeadshotResult{}, uiError(err)
	}
	return a.AddHeadshots(show, paths)
}

// RenameHeadshot renames a cast-list entry.
func (a *App) RenameHeadshot(id int64, name string) error {
	b, err := a.ready()
	if err != nil {
		return err
	}
	return uiError(b.RenameHeadshot(a.ctx, id, name))
}

// RemoveHeadshot deletes a cast-list entry.
func (a *App) RemoveHeadshot(id int64) error {
	b, err := a.ready()
	if err != nil {
		return err
	}
	return uiError(b.RemoveHeadshot(a.ctx, id))
}
