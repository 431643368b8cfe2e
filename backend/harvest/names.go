package harvest

import "path/filepath"

// The files of an episode's artifact folder, data/harvest/{key}/: the only
// place their names are written.
const (
	ManifestFile          = "manifest.parquet"        // extract: every frame, sampled or not
	DetectionsFile        = "detections.parquet"      // detect
	EmbeddingsFile        = "embeddings.parquet"      // detect
	DetStatsFile          = "det_stats.json"          // detect: counts, provider, model load times
	TracksFile            = "tracks.parquet"          // track
	TracksMetricsFile     = "tracks_metrics.json"     // track
	CutsFile              = "cuts.json"               // track: shot cuts
	IdentitiesFile        = "identities.parquet"      // cluster
	IdentitiesMetricsFile = "identities_metrics.json" // cluster
	CurationFile          = "curation.json"           // an older version's curation log, imported once
	ScreentimeJSONFile    = "screentime.json"         // analytics
	ScreentimeCSVFile     = "screentime.csv"          // analytics
	SegmentsFile          = "segments.parquet"        // analytics
	ReportHTMLFile        = "report.html"             // analytics
	ThumbsDir             = "thumbs"                  // extract: thumbnails, PosterFile among them
	PosterFile            = "poster.jpg"              // in ThumbsDir: the episode list's picture
	DiagnosticsDir        = "diagnostics"
	ContactSheetFile      = "contact_sheet.jpg" // in DiagnosticsDir: detect's faces at a glance
	ProxyFile             = "proxy.mp4"         // playback: the window's H.264 copy of a video it cannot play
	CastListFile          = "cast_list.json"    // remote runs: the show's cast list as the desktop sent it
)

// Dir is the artifact folder of episode key under the data folder.
func Dir(dataDir, key string) string {
	return filepath.Join(dataDir, "data", "harvest", key)
}
