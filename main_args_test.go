package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestWindowArgs: files open in the window, the toolkit's flags (with their
// values) go to the window, anything else is a subcommand.
func TestWindowArgs(t *testing.T) {
	video := filepath.Join(t.TempDir(), "Show_S01E01.mp4")
	if err := os.WriteFile(video, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args   []string
		window bool
		files  []string
	}{
		{[]string{video}, true, []string{video}},
		{[]string{"-devserver", "127.0.0.1:5173"}, true, nil},
		{[]string{"-loglevel=debug", video}, true, []string{video}},
		{[]string{"-devserver", "127.0.0.1:5173", video}, true, []string{video}},
		{[]string{"rnu"}, false, nil},
		{[]string{video, "/no/such/file.mp4"}, false, []string{video}},
		{[]string{filepath.Dir(video)}, false, nil},
	} {
		if got := windowArgs(c.args); got != c.window {
			t.Errorf("windowArgs(%q) = %v, want %v", c.args, got, c.window)
		}
		if c.window {
			if got := filesOf(c.args); !reflect.DeepEqual(got, c.files) {
				t.Errorf("filesOf(%q) = %q, want %q", c.args, got, c.files)
			}
		}
	}
}
