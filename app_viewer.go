package main

import (
	"net/http"

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
	return v, uiError(err)
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
