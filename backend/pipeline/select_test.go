package pipeline

import (
	"slices"
	"testing"

	"castscope/backend/errs"
)

func TestSelectAndMode(t *testing.T) {
	cases := []struct {
		in   []string
		want []string
		mode string
	}{
		{nil, Order, "full"},
		{[]string{"extract", "validate"}, []string{"validate", "extract"}, "prepare"},
		{[]string{"detect+"}, []string{"detect", "track", "cluster", "analytics"}, "detect"},
		{[]string{" Cluster ", "track"}, []string{"track", "cluster"}, "track"},
	}
	for _, c := range cases {
		got, err := Select(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Select(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if m := Mode(got); m != c.mode {
			t.Errorf("Mode(%q) = %s, want %s", got, m, c.mode)
		}
	}
	if _, err := Select([]string{"detect", "teleport"}); errs.CodeOf(err) != errs.Usage {
		t.Errorf("unknown stage: %v", err)
	}
	if Label("detect") != "Detect/Embed" || Label("analytics") != "Screen time" {
		t.Error("labels must follow the seed wording")
	}
}
