package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"castscope/backend/errs"
)

// A bound method's error reaches the page as {code, message, hint}: typed
// errors keep theirs (also when wrapped), untyped ones are ERR_INTERNAL
// without their Go text.
func TestPageError(t *testing.T) {
	typed := errs.Wrap(errs.VideoUnreadable, errors.New("moov atom not found"), "Cannot open /x.mp4.", "Check the file.")
	cases := []struct {
		err  error
		want string
	}{
		{typed, `{"code":"ERR_VIDEO_UNREADABLE","message":"Cannot open /x.mp4.","hint":"Check the file."}`},
		{fmt.Errorf("service: add: %w", typed), `{"code":"ERR_VIDEO_UNREADABLE","message":"Cannot open /x.mp4.","hint":"Check the file."}`},
		{errs.New(errs.Usage, "Unknown stage \"x\".", ""), `{"code":"ERR_USAGE","message":"Unknown stage \"x\".","hint":""}`},
		{uiError(typed), `{"code":"ERR_VIDEO_UNREADABLE","message":"Cannot open /x.mp4.","hint":"Check the file."}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(pageError(c.err))
		if err != nil || string(b) != c.want {
			t.Errorf("pageError(%v) = %s (%v), want %s", c.err, b, err, c.want)
		}
	}
	u := pageError(errors.New("open /secret/path: permission denied"))
	if u.Code != errs.Internal || u.Message == "" || u.Hint == "" || u.Message == "open /secret/path: permission denied" {
		t.Errorf("untyped error: %+v", u)
	}
	if uiError(nil) != nil {
		t.Error("uiError(nil) must be a nil error")
	}
	// The formatter the window is built with is this one.
	if f := appOptions(NewApp()).ErrorFormatter; f == nil || f(typed) != pageError(typed) {
		t.Error("appOptions' ErrorFormatter does not send PageError")
	}
}
