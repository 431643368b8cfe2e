package service

import (
	"castscope/backend/errs"
	"castscope/backend/pipeline"
	"castscope/backend/screentime"
)

// Catalog is what the page knows of the backend before it asks anything:
// the pipeline's stages in order, the settings' defaults and choices, and
// the error codes. It is declared here once, from the packages that own
// each list (pipeline, Settings, screentime, errs); the page reads it once
// at startup (App.Catalog) instead of keeping copies.
type Catalog struct {
	// Stages in the runner's order.
	Stages []CatalogStage `json:"stages"`
	// Defaults are the settings a fresh data folder runs with.
	Defaults Settings `json:"defaults"`
	// The choices of Settings' preset fields.
	DetectPresets     []string `json:"detect_presets"`
	ScreenTimePresets []string `json:"screentime_presets"`
	// MinSampleFPS is the lowest sampling rate a run accepts.
	MinSampleFPS float64 `json:"min_sample_fps"`
	// ErrorCodes are every code a typed error can carry.
	ErrorCodes []errs.Code `json:"error_codes"`
}

// CatalogStage is one pipeline stage as users see it.
type CatalogStage struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	// Flag is the episode's registry state the stage sets when it
	// succeeds ("detected").
	Flag string `json:"flag"`
}

// detectPresets are Settings.DetectPreset's choices (Validate accepts them).
var detectPresets = []string{"fast", DefaultDetectPreset, "detail"}

// GetCatalog returns the catalog. It needs no data folder: the page can
// read it while the backend still opens, or when it failed to.
func GetCatalog() Catalog {
	defs := pipeline.Stages(pipeline.Deps{})
	stages := make([]CatalogStage, len(defs))
	for i, d := range defs {
		stages[i] = CatalogStage{Name: d.Name, Label: d.Label, Flag: d.Flag}
	}
	return Catalog{
		Stages:            stages,
		Defaults:          Settings{}.Normalized(),
		DetectPresets:     append([]string(nil), detectPresets...),
		ScreenTimePresets: []string{string(screentime.PresetDefault), string(screentime.PresetStrict)},
		MinSampleFPS:      MinSampleFPS,
		ErrorCodes:        errs.Codes(),
	}
}
