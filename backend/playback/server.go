package playback

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/harvest"
)

// Prefix is the URL path under which episodes' videos are served:
// Prefix + key.
const Prefix = "/media/"

// URL is the address the window loads the episode key's video from.
func URL(key string) string { return Prefix + key }

// Lookup returns the video file and the artifact folder of a registered
// episode, or a typed error (ERR_EPISODE_NOT_REGISTERED for an unknown
// key). The service provides it from the registry.
type Lookup func(ctx context.Context, key string) (videoPath, artifactDir string, err error)

// Server serves episodes' videos (it is an http.Handler for the asset
// server) and reports how each one plays (Status). Make one with New.
type Server struct {
	lookup Lookup
	base   context.Context
	stop   context.CancelFunc

	mu      sync.Mutex
	probes  map[string]probed  // source path → probe
	proxies map[string]proxyOK // proxy path → the fingerprint it holds
	builds  map[string]*build  // proxy path → the check or ffmpeg in flight
	failed  map[string]failure // proxy path → the last build's failure

	ffmpegRuns atomic.Int64 // how many proxies were started (tests read it)
}

// New returns a Server that finds episodes through lookup.
func New(lookup Lookup) *Server {
	base, stop := context.WithCancel(context.Background())
	return &Server{lookup: lookup, base: base, stop: stop,
		probes: map[string]probed{}, proxies: map[string]proxyOK{}, builds: map[string]*build{}, failed: map[string]failure{}}
}

// Close stops every ffmpeg in flight (their temporary files are removed);
// requests waiting on them get ERR_CANCELED.
func (s *Server) Close() { s.stop() }

// Source is how an episode's video plays in the window, for the UI.
type Source struct {
	URL    string `json:"url"`
	Direct bool   `json:"direct"`
	// Reason says why it plays directly or through the proxy.
	Reason string `json:"reason"`
	// ProxyReady is true when the proxy exists for the current source
	// (always false for a direct file).
	ProxyReady bool `json:"proxy_ready"`
	// ProxyMaking is true while ffmpeg makes the proxy; ProxyProgress is
	// how far it is (0…1).
	ProxyMaking   bool    `json:"proxy_making"`
	ProxyProgress float64 `json:"proxy_progress"`
	// ProxyError is why the last making of the proxy for the current
	// source failed ("" when it did not); the next request tries again.
	ProxyError string `json:"proxy_error,omitempty"`
	Media      Media  `json:"media"`
}

// resolved is a key turned into its source file and the way it plays.
type resolved struct {
	src, dir string
	st       os.FileInfo
	media    Media
	decision Decision
}

// resolve validates key, looks the episode up, checks that its file is
// there and decides how it plays.
func (s *Server) resolve(ctx context.Context, key string) (resolved, error) {
	var r resolved
	if err := episode.ValidateKey(key); err != nil {
		return r, err
	}
	src, dir, err := s.lookup(ctx, key)
	if err != nil {
		return r, err
	}
	r.src, r.dir = src, dir
	st, err := os.Stat(src)
	if err != nil || !st.Mode().IsRegular() {
		return r, errs.Wrap(errs.InputNotFound, err, fmt.Sprintf("The video file of %s is gone (%s).", key, src),
			"Put the file back, or add the episode again from where it is now.")
	}
	r.st = st
	m, err := s.media(ctx, src, st)
	switch {
	case errors.Is(err, errNoFFprobe):
		r.decision = Decision{Direct: true, Reason: "ffprobe is not installed, so the file plays as it is (the window may not play it)"}
		return r, nil
	case ctx.Err() != nil:
		return r, canceled(src, ctx.Err())
	case err != nil:
		return r, errs.Wrap(errs.VideoUnreadable, err, fmt.Sprintf("%s cannot be read to play it.", filepath.Base(src)),
			"Check that the file plays in a media player.")
	}
	r.media, r.decision = m, Decide(m)
	return r, nil
}

// Status says how key's video plays: directly, or through a proxy that is
// ready or being made. It starts nothing.
func (s *Server) Status(ctx context.Context, key string) (Source, error) {
	r, err := s.resolve(ctx, key)
	if err != nil {
		return Source{}, err
	}
	src := Source{URL: URL(key), Direct: r.decision.Direct, Reason: r.decision.Reason, Media: r.media}
	if !src.Direct {
		src.ProxyProgress, src.ProxyMaking = s.progress(r.dir)
		if !src.ProxyMaking {
			path := filepath.Join(r.dir, harvest.ProxyFile)
			fp := fingerprint(r.st)
			src.ProxyReady = s.proxyValid(ctx, path, fp)
			s.mu.Lock()
			if f, ok := s.failed[path]; ok && f.fp == fp && !src.ProxyReady {
				src.ProxyError = f.err.Message
			}
			s.mu.Unlock()
		}
		if src.ProxyReady {
			src.ProxyProgress = 1
		}
	}
	return src, nil
}

// Prepare makes key's proxy when it needs one that is not there, and
// waits for it (ctx bounds the wait, not the making, which only Close
// stops). A direct file needs nothing.
func (s *Server) Prepare(ctx context.Context, key string) error {
	r, err := s.resolve(ctx, key)
	if err != nil || r.decision.Direct {
		return err
	}
	_, err = s.ensureProxy(ctx, r.src, r.st, r.media, r.dir)
	return err
}

// ServeHTTP serves GET and HEAD of Prefix+key: the episode's file or its
// proxy, with Range, If-Modified-Since and If-Range. Any other path is
// 404. Only the key, once validated, is used: the file's path comes from
// the registry.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	key, ok := strings.CutPrefix(req.URL.Path, Prefix)
	if !ok {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Only GET and HEAD are served here.", http.StatusMethodNotAllowed)
		return
	}
	if strings.Contains(key, "/") {
		httpError(w, errs.New(errs.InvalidEpisodeKey, "The media address holds more than an episode key.", ""))
		return
	}
	ctx := req.Context()
	r, err := s.resolve(ctx, key)
	if err != nil {
		httpError(w, err)
		return
	}
	path, ctype, modTime := r.src, contentType(r.media.Container), r.st.ModTime()
	if !r.decision.Direct {
		if path, err = s.ensureProxy(ctx, r.src, r.st, r.media, r.dir); err != nil {
			httpError(w, err)
			return
		}
		ctype = "video/mp4"
		modTime = time.Time{}
	}
	f, err := os.Open(path)
	if err != nil {
		httpError(w, errs.Wrap(errs.InputNotFound, err, fmt.Sprintf("The video of %s cannot be opened.", key), "Check the file's permissions."))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		httpError(w, errs.Wrap(errs.InputNotFound, err, fmt.Sprintf("The video of %s cannot be opened.", key), "Check the file's permissions."))
		return
	}
	if modTime.IsZero() {
		modTime = st.ModTime()
	}
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, req, filepath.Base(path), modTime, f)
}

// httpError answers a typed error with its status and a one-line text:
// 400 for a malformed key, 404 for an unknown episode, 410 for one whose
// file is gone, nothing for a request that went away, 500 otherwise.
func httpError(w http.ResponseWriter, err error) {
	e := errs.As(err)
	status := http.StatusInternalServerError
	switch e.Code {
	case errs.InvalidEpisodeKey:
		status = http.StatusBadRequest
	case errs.EpisodeNotRegistered:
		status = http.StatusNotFound
	case errs.InputNotFound:
		status = http.StatusGone
	case errs.Canceled:
		return
	}
	http.Error(w, fmt.Sprintf("%s: %s", e.Code, e.Message), status)
}
