package main

import (
	"encoding/json"
	"os"

	"castscope/backend/atomicfile"
)

// The window's playback check. Whether the window's engine plays an
// episode's video is a property of the machine (WebKitGTK decodes with
// GStreamer, whose H.264 decoder is a separate package), not of the page:
// with CASTSCOPE_WINDOW_CHECK=FILE set, the page plays every registered
// episode's video from the URL the viewer uses, once the list has stopped
// growing, and writes what the engine did for each (ready state, picture
// size, three seeks and their times, or the media error) to FILE as JSON. The window tests use it; it is
// also how to check a machine by hand.

// WindowCheckResult is what the page reports for one episode.
type WindowCheckResult struct {
	Key         string    `json:"key"`
	URL         string    `json:"url"`
	ReadyState  int       `json:"ready_state"`
	VideoWidth  int       `json:"video_width"`
	VideoHeight int       `json:"video_height"`
	DurationS   float64   `json:"duration_s"`
	SeekMs      float64   `json:"seek_ms"`  // the median of SeeksMs
	SeeksMs     []float64 `json:"seeks_ms"` // to the middle, 13 % and 91 % in
	Error       string    `json:"error"`
}

// WindowCheckWanted reports whether this run should check playback.
func (a *App) WindowCheckWanted() bool { return os.Getenv("CASTSCOPE_WINDOW_CHECK") != "" }

// WindowCheckDone stores the page's result in the file the check names.
func (a *App) WindowCheckDone(r []WindowCheckResult) error {
	path := os.Getenv("CASTSCOPE_WINDOW_CHECK")
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return uiError(err)
	}
	return uiError(atomicfile.Write(path, b))
}
