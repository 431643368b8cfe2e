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
// size, three seeks and their times, or the media error) to FILE as JSON.
// With CASTSCOPE_WINDOW_CHECK_MODE=viewer it runs the viewer as an editor
// does instead (ViewerFlowResult). The window tests use both; the first is
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

// ViewerFlowResult is what the page reports of the viewer flow
// (CASTSCOPE_WINDOW_CHECK_MODE=viewer): the episode opened on the viewer,
// a person's segment clicked, the name found on a face there, the person
// renamed from that face, and the new name in the overlay and the Cast
// view; Error names the first step that did not happen.
type ViewerFlowResult struct {
	Key              string  `json:"key"`
	ReadyState       int     `json:"ready_state"`
	SegmentLabel     string  `json:"segment_label"`
	SegmentStart     float64 `json:"segment_start"`
	CurrentTime      float64 `json:"current_time"`
	LabelDrawn       bool    `json:"label_drawn"`
	RenamedInOverlay bool    `json:"renamed_in_overlay"`
	RenamedInCast    bool    `json:"renamed_in_cast"`
	Error            string  `json:"error"`
}

// WindowCheckWanted says which check this run makes: "" none, "play"
// (every episode's video), or "viewer" (the viewer flow, once an episode
// is analysed; CASTSCOPE_WINDOW_CHECK_MODE=viewer).
func (a *App) WindowCheckWanted() string {
	if os.Getenv("CASTSCOPE_WINDOW_CHECK") == "" {
		return ""
	}
	if os.Getenv("CASTSCOPE_WINDOW_CHECK_MODE") == "viewer" {
		return "viewer"
	}
	return "play"
}

// WindowCheckViewerDone stores the viewer flow's result in the check's file.
func (a *App) WindowCheckViewerDone(r ViewerFlowResult) error { return writeCheck(r) }

// WindowCheckDone stores the page's result in the file the check names.
func (a *App) WindowCheckDone(r []WindowCheckResult) error { return writeCheck(r) }

func writeCheck(r any) error {
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
