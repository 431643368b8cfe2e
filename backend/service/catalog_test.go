package service

import (
	"context"
	"slices"
	"testing"

	"castscope/backend/errs"
	"castscope/backend/pipeline"
)

// The catalog's stages are the ones a backend's runner runs, in its order,
// and its defaults are the settings a fresh data folder opens with.
func TestCatalogMatchesTheBackend(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, Options{DataDir: t.TempDir(), NoRunner: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := GetCatalog()

	var runner, names []string
	for _, d := range b.stages(b.pipelineEnv) {
		runner = append(runner, d.Name)
	}
	for _, s := range c.Stages {
		names = append(names, s.Name)
		if s.Label == "" || s.Label != pipeline.Label(s.Name) || s.Flag == "" {
			t.Errorf("stage %+v: want its label and registry flag", s)
		}
	}
	all, _ := pipeline.Select(nil)
	if !slices.Equal(names, runner) || !slices.Equal(names, all) {
		t.Errorf("catalog stages %v, runner's %v, Select(all) %v", names, runner, all)
	}
	if c.Stages[2] != (CatalogStage{Name: "detect", Label: "Detect/Embed", Flag: "detected"}) {
		t.Errorf("detect = %+v", c.Stages[2])
	}

	if c.Defaults != b.Settings() {
		t.Errorf("catalog defaults %+v, a fresh data folder's %+v", c.Defaults, b.Settings())
	}
	fresh, err := LoadSettings(t.TempDir())
	if err != nil || c.Defaults != fresh.Normalized() {
		t.Errorf("catalog defaults %+v, LoadSettings of an empty folder %+v (%v)", c.Defaults, fresh.Normalized(), err)
	}
	if c.Defaults.ClusterThreshold != 0.5 || c.Defaults.MinTrackLen != 3 || c.Defaults.ScreenTimePreset != "default" {
		t.Errorf("defaults %+v", c.Defaults)
	}
}

// Every preset the catalog offers is one Validate accepts, and the error
// codes are errs' list.
func TestCatalogChoicesAreValid(t *testing.T) {
	c := GetCatalog()
	if err := c.Defaults.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	for _, p := range c.DetectPresets {
		if err := (Settings{DetectPreset: p}).Validate(); err != nil {
			t.Errorf("detect preset %q: %v", p, err)
		}
	}
	for _, p := range c.ScreenTimePresets {
		if err := (Settings{ScreenTimePreset: p}).Validate(); err != nil {
			t.Errorf("screen-time preset %q: %v", p, err)
		}
	}
	if len(c.DetectPresets) != 3 || len(c.ScreenTimePresets) != 2 {
		t.Errorf("presets %v %v", c.DetectPresets, c.ScreenTimePresets)
	}
	if err := (Settings{SampleFPS: c.MinSampleFPS}).Validate(); err != nil {
		t.Errorf("min sample fps %g: %v", c.MinSampleFPS, err)
	}
	if err := (Settings{SampleFPS: c.MinSampleFPS / 2}).Validate(); err == nil {
		t.Errorf("half the min sample fps validates")
	}
	if !slices.Equal(c.ErrorCodes, errs.Codes()) || !slices.Contains(c.ErrorCodes, errs.StageStalled) {
		t.Errorf("error codes %v", c.ErrorCodes)
	}
}
