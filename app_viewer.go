package main

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"time"

	"castscope/backend/playback"
	"castscope/backend/service"
)

// Playback returns what the viewer loads once per episode: where its
// video plays, and every face track's boxes with its person.
func (a *App) Playback(key string) (service.PlaybackView, error) {
	b, err := a.ready()
	if err != nil {
		return service.PlaybackView{}, err
	}
	v, err := b.Playback(a.ctx, key)
	v.Source.URL = a.mediaURL(v.Source.URL)
	return v, uiError(err)
}

// MediaStatus says how key's video plays, without the tracks (asked while
// a proxy is made).
func (a *App) MediaStatus(key string) (playback.Source, error) {
	b, err := a.ready()
	if err != nil {
		return playback.Source{}, err
	}
	s, err := b.MediaStatus(a.ctx, key)
	s.URL = a.mediaURL(s.URL)
	return s, uiError(err)
}

// MediaURL is the URL the page plays episode key's video from.
func (a *App) MediaURL(key string) string { return a.mediaURL("/media/" + key) }

// The window's engine does not play video from the app's own URL scheme:
// WebKitGTK hands <video> to GStreamer, which answers a wails:// source
// with MEDIA_ERR_SRC_NOT_SUPPORTED even for H.264 it decodes from a file
// (the window test showed it). So the media handler is also served on a
// loopback port, under a random token in the path that only this page is
// told: other local users cannot guess it, and the handler serves only
// registered episodes' videos by key. The asset server keeps answering
// /media/ too, for the dev build's page in a browser.
type mediaServer struct {
	base string // http://127.0.0.1:PORT/TOKEN
	srv  *http.Server
}

func startMediaServer(h http.Handler) (*mediaServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		ln.Close()
		return nil, err
	}
	prefix := "/" + hex.EncodeToString(tok[:])
	srv := &http.Server{Handler: http.StripPrefix(prefix, h), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown
	return &mediaServer{base: "http://" + ln.Addr().String() + prefix, srv: srv}, nil
}

// close stops the server and drops its connections (a request waiting
// for a proxy has nothing to wait for once the backend is closed).
func (m *mediaServer) close() {
	if m != nil {
		m.srv.Close() //nolint:errcheck
	}
}

// mediaURL turns a /media/ path into the URL the page loads it from.
func (a *App) mediaURL(path string) string {
	if a.media == nil || path == "" {
		return path
	}
	return a.media.base + path
}

// mediaHandler answers what the embedded assets do not: registered
// episodes' videos at /media/{key} (service.Backend.MediaHandler), once
// the backend is open.
func (a *App) mediaHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := a.ready()
		if err != nil {
			http.Error(w, "Castscope is still starting.", http.StatusServiceUnavailable)
			return
		}
		b.MediaHandler().ServeHTTP(w, r)
	})
}
