package main

import (
	"context"
	"encoding/base64"
	"sync"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"castscope/backend/errs"
	"castscope/backend/inspect"
	"castscope/backend/job"
	"castscope/backend/service"
)

// Event names on the Wails bus (declared once; frontend/src/lib/events.ts
// listens to the same names).
const (
	EventStage   = "castscope:stage"
	EventEpisode = "castscope:episode"
	EventOpen    = "castscope:open" // files wait in TakeOpenFiles
)

// App holds the Wails context and the backend. Its exported methods are
// bound to the frontend: each is a few lines over package service and
// returns (T, error). The frontend calls them through the generated
// bindings (frontend/src/lib/wailsjs, make bindings); Wails rejects the JS
// promise with a PageError {code, message, hint} on error.
type App struct {
	ctx     context.Context
	backend *service.Backend
	openErr error
	media   *mediaServer // the videos on a loopback port (app_viewer.go); set before the window opens

	mu   sync.Mutex // guards ctx for handOver, and open
	open []string   // files to open: the command line's, then those later launches hand over
}

// NewApp returns an App; the backend opens in startup.
func NewApp() *App { return &App{} }

func (a *App) startup(ctx context.Context) {
	a.mu.Lock()
	a.ctx = ctx
	a.mu.Unlock()
	a.backend, a.openErr = service.Open(ctx, service.Options{Notifier: wailsNotifier{ctx}, WorkerExe: selfExe()})
	if a.openErr != nil {
		runtime.LogErrorf(ctx, "castscope: open data folder: %v", a.openErr)
	}
}

// handOver queues files a later launch handed over (see package instance),
// brings the window to the front and tells the page to take them. Called
// from the instance listener's goroutine, possibly before startup.
func (a *App) handOver(files []string) {
	a.mu.Lock()
	a.open = append(a.open, files...)
	ctx := a.ctx
	a.mu.Unlock()
	if ctx != nil {
		runtime.WindowUnminimise(ctx)
		runtime.WindowShow(ctx)
		runtime.EventsEmit(ctx, EventOpen)
	}
}

// TakeOpenFiles returns, once, the files named on the command line (the
// .desktop entry's %F, "Open with") or handed over by a later launch; the
// page adds them as it adds a drop, when it loads and on EventOpen.
func (a *App) TakeOpenFiles() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	files := a.open
	a.open = nil
	return files
}

func (a *App) shutdown(context.Context) {
	if a.backend != nil {
		a.backend.Close() // stops any proxy being made first
	}
	a.media.close()
}

// wailsNotifier forwards engine events to the Wails event bus.
type wailsNotifier struct{ ctx context.Context }

func (n wailsNotifier) Notify(ev job.Event) { runtime.EventsEmit(n.ctx, EventStage, ev) }

// ready returns the backend, or the typed error that kept it from opening.
func (a *App) ready() (*service.Backend, error) {
	if a.backend == nil {
		if a.openErr != nil {
			return nil, uiError(a.openErr)
		}
		return nil, uiError(errs.New(errs.Internal, "The backend is still starting.", "Try again in a moment."))
	}
	return a.backend, nil
}

// uiError returns err as a typed error (nil stays nil): an untyped error
// becomes ERR_INTERNAL with a generic sentence, its cause kept for the log.
func uiError(err error) error {
	if err == nil {
		return nil
	}
	return errs.As(err)
}

// PageError is how a bound method's error reaches the page: the JS promise
// rejects with this object (main.go's ErrorFormatter).
type PageError struct {
	Code    errs.Code `json:"code"`
	Message string    `json:"message"`
	Hint    string    `json:"hint"`
}

// pageError turns any error a bound method returns into a PageError; an
// untyped one is ERR_INTERNAL.
func pageError(err error) PageError {
	e := errs.As(err)
	if e == nil {
		e = errs.New(errs.Internal, "An internal error occurred.", "")
	}
	return PageError{Code: e.Code, Message: e.Message, Hint: e.Hint}
}

// AddVideos registers files and queues the full pipeline for new episodes;
// a second add of the same file returns the existing episode unchanged.
func (a *App) AddVideos(paths []string) ([]service.EpisodeView, error) {
	b, err := a.ready()
	if err != nil {
		return nil, err
	}
	views, err := b.AddVideos(a.ctx, paths)
	for _, v := range views {
		runtime.EventsEmit(a.ctx, EventEpisode, v)
	}
	return views, uiError(err)
}

// ChooseVideos opens the native file dialog, then adds what was chosen.
func (a *App) ChooseVideos() ([]service.EpisodeView, error) {
	paths, err := runtime.OpenMultipleFilesDialog(a.ctx, runtime.OpenDialogOptions{
		Title: "Add videos",
		Filters: []runtime.FileFilter{
			{DisplayName: "Videos", Pattern: "*.mp4;*.mov;*.mkv;*.m4v;*.avi;*.webm;*.mxf;*.ts;*.mts"},
			{DisplayName: "All files", Pattern: "*"},
		},
	})
	if err != nil || len(paths) == 0 {
		return nil, uiError(err)
	}
	return a.AddVideos(paths)
}

// ListEpisodes returns every episode with its latest job.
func (a *App) ListEpisodes() ([]service.EpisodeView, error) {
	b, err := a.ready()
	if err != nil {
		return nil, err
	}
	v, err := b.EpisodeViews(a.ctx)
	return v, uiError(err)
}

// RunEpisode runs stages of key (empty: all; "detect+": detect and after)
// and returns the job id.
func (a *App) RunEpisode(key string, stages []string) (string, error) {
	b, err := a.ready()
	if err != nil {
		return "", err
	}
	j, _, err := b.Run(a.ctx, key, stages, service.RunOverrides{})
	return j.ID, uiError(err)
}

// RetryStage runs stage of jobID's episode again, with everything after it.
func (a *App) RetryStage(jobID, stage string) (string, error) {
	b, err := a.ready()
	if err != nil {
		return "", err
	}
	id, err := b.Retry(a.ctx, jobID, stage)
	return id, uiError(err)
}

// CancelJob cancels a queued or running job; artifacts are kept.
func (a *App) CancelJob(jobID string) error {
	b, err := a.ready()
	if err != nil {
		return err
	}
	return uiError(b.CancelJob(a.ctx, jobID))
}

// Inspect returns the state inspector's report for key.
func (a *App) Inspect(key string) (inspect.Report, error) {
	b, err := a.ready()
	if err != nil {
		return inspect.Report{}, err
	}
	r, err := b.Inspect(a.ctx, key)
	return r, uiError(err)
}

// JobLogs returns the log lines of one job (seed format).
func (a *App) JobLogs(jobID string) ([]service.LogLine, error) {
	b, err := a.ready()
	if err != nil {
		return nil, err
	}
	l, err := b.JobLogs(a.ctx, jobID)
	return l, uiError(err)
}

// GetSettings returns the settings with the doctor's findings.
func (a *App) GetSettings() (service.SettingsView, error) {
	b, err := a.ready()
	if err != nil {
		return service.SettingsView{}, err
	}
	return b.SettingsView(a.ctx), nil
}

// SaveSettings stores settings for the jobs submitted from now on.
func (a *App) SaveSettings(s service.SettingsView) error {
	b, err := a.ready()
	if err != nil {
		return err
	}
	return uiError(b.SaveSettingsView(s))
}

// CheckTemporal tells whether the Temporal server at addr answers in
// namespace (the Settings panel's "Test connection"): nil, or a typed
// error (ERR_USAGE for a malformed address, ERR_REMOTE_UNAVAILABLE).
func (a *App) CheckTemporal(addr, namespace string) error {
	b, err := a.ready()
	if err != nil {
		return err
	}
	return uiError(b.CheckTemporal(a.ctx, addr, namespace))
}

// OpenDataFolder shows the data folder in the system's file manager.
func (a *App) OpenDataFolder() error {
	b, err := a.ready()
	if err != nil {
		return err
	}
	runtime.BrowserOpenURL(a.ctx, fileURL(b.DataDir))
	return nil
}

// Thumbnail returns the episode's poster frame as a data URL ("" before
// the extract stage has written it).
func (a *App) Thumbnail(key string) (string, error) {
	b, err := a.ready()
	if err != nil {
		return "", err
	}
	jpeg, err := b.Poster(key)
	if err != nil || len(jpeg) == 0 {
		return "", uiError(err)
	}
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpeg), nil
}

// ExportJSON rewrites every state.json and meta.json from the database.
func (a *App) ExportJSON() error {
	b, err := a.ready()
	if err != nil {
		return err
	}
	return uiError(b.ExportJSON(a.ctx))
}

// Catalog returns the stages, default settings and error codes the page
// builds its lists from (service.GetCatalog); it works before the backend
// has opened.
func (a *App) Catalog() service.Catalog { return service.GetCatalog() }
