package pipeline

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"castscope/backend/atomicfile"
	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/harvest"
	"castscope/backend/identity"
	"castscope/backend/job"
	"castscope/backend/modelpack"
	"castscope/backend/screentime"
	"castscope/backend/track"
	"castscope/backend/video"
)

// The algorithms' versions, part of the stages' fingerprints.
const (
	trackAlgorithm      = "track/3"
	clusterAlgorithm    = "cluster/2"
	analyticsAlgorithm  = "analytics/2"
	defaultScreenPreset = string(screentime.PresetDefault)
)

// AnalysisSettings are the job settings of track, cluster and analytics.
// They are read from the job's settings JSON under these names (zero
// values take the packages' defaults).
type AnalysisSettings struct {
	ClusterThreshold float64 `json:"cluster_threshold"` // cosine distance; identity.DefaultThreshold
	MinTrackLen      int     `json:"min_track_len"`     // detections; identity.DefaultMinTrackLen
	ScreenTimePreset string  `json:"screentime_preset"` // default | strict
}

func analysisSettingsOf(j job.Job) AnalysisSettings {
	var s AnalysisSettings
	_ = json.Unmarshal(j.Settings, &s)
	s.ClusterThreshold = cmp.Or(s.ClusterThreshold, identity.DefaultThreshold)
	s.MinTrackLen = cmp.Or(s.MinTrackLen, identity.DefaultMinTrackLen)
	s.ScreenTimePreset = cmp.Or(strings.ToLower(strings.TrimSpace(s.ScreenTimePreset)), defaultScreenPreset)
	return s
}

func (s AnalysisSettings) clusterConfig() identity.Config {
	return identity.Config{Threshold: s.ClusterThreshold, MinTrackLen: s.MinTrackLen}
}

// trackConfig is the tracker's configuration (the package defaults). The
// stage's fingerprint hashes it resolved, so that a changed default
// re-runs the stage.
var trackConfig = track.Config{}

var cutConfig = track.CutDetector{}

// fileID identifies a file's version cheaply: size and modification time.
func fileID(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d/%d", st.Size(), st.ModTime().UnixNano())
}

// contentID hashes a small file's content ("" when absent).
func contentID(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// detectedWith returns the job's settings with the sampling and preset
// the detections were made with (det_stats.json): a later cluster or
// analytics run under other settings must not re-time old detections.
func detectedWith(dir string, j job.Job) JobSettings {
	s := settingsOf(j)
	if st := detStatsOf(dir); st.SampleFPS != 0 {
		s.SampleFPS = st.SampleFPS
		s.DetectPreset = cmp.Or(st.Preset, s.DetectPreset)
	}
	return s
}

// detStatsOf reads det_stats.json; absent or unreadable, it is empty.
func detStatsOf(dir string) DetStats {
	var st DetStats
	if b, err := os.ReadFile(filepath.Join(dir, harvest.DetStatsFile)); err == nil {
		_ = json.Unmarshal(b, &st)
	}
	return st
}

// sampleIntervalMs is the time between two sampled frames.
func sampleIntervalMs(info video.Info, s JobSettings) int64 {
	fps := info.FPS
	if s.SampleFPS > 0 && s.SampleFPS < fps {
		fps = s.SampleFPS
	}
	if fps <= 0 {
		return 0
	}
	return int64(math.Round(1000 / fps))
}

// ---- track ----------------------------------------------------------

// TrackResult is the track stage's result: the tracker's metrics plus
// what the shot-cut pass cost.
type TrackResult struct {
	track.Metrics
	CutFrames   []int64 `json:"cut_frames"`
	FramesRead  int     `json:"frames_read"`
	CutDecodeS  float64 `json:"cut_decode_s"`
	TrackBuildS float64 `json:"track_build_s"`
}

func (d Deps) trackStage() job.StageDef {
	return job.StageDef{
		Name: "track", Label: Label("track"), Flag: "tracked", Heavy: true,
		Run: d.runTrack,
		Fingerprint: func(ctx context.Context, j job.Job) (string, error) {
			ep, err := d.Store.Episode(ctx, j.EpisodeKey)
			dir := harvest.Dir(d.DataDir, j.EpisodeKey)
			return fingerprint(trackAlgorithm, ep.Fingerprint, detectedWith(dir, j).SampleFPS, trackConfig.Resolved(), cutConfig.Resolved(), video.HistWidth, video.HistBins,
				fileID(filepath.Join(dir, harvest.DetectionsFile)), fileID(filepath.Join(dir, harvest.EmbeddingsFile)),
				fileID(filepath.Join(dir, harvest.ManifestFile))), err
		},
		Complete: func(ctx context.Context, j job.Job) bool {
			dir := harvest.Dir(d.DataDir, j.EpisodeKey)
			return exists(filepath.Join(dir, harvest.TracksFile), filepath.Join(dir, harvest.TracksMetricsFile), filepath.Join(dir, harvest.CutsFile))
		},
	}
}

func (d Deps) runTrack(ctx context.Context, r job.Reporter) (any, error) {
	ep, info, err := d.validatedEpisode(ctx, r)
	if err != nil {
		return nil, err
	}
	dir := harvest.Dir(d.DataDir, ep.Key)
	s := detectedWith(dir, r.Job())
	frames, dets, err := readTrackInputs(dir)
	if err != nil {
		return nil, err
	}
	r.Logf("frames=%d detections=%d", len(frames), len(dets))

	t0 := time.Now()
	cuts, read, err := detectCuts(ctx, r, ep.VideoPath, info, sampling(s))
	if err != nil {
		return nil, err
	}
	decodeS := time.Since(t0).Seconds()
	r.Logf("cuts=%d frames_read=%d decode=%.2fs", len(cuts), read, decodeS)

	t1 := time.Now()
	res, err := track.Build(ctx, frames, dets, cuts, trackConfig)
	if err != nil {
		return nil, err
	}
	buildS := time.Since(t1).Seconds()

	rows := make([]harvest.TrackRow, len(res.Tracks))
	for i, t := range res.Tracks {
		rows[i] = harvest.TrackRowOf(t)
	}
	if err := harvest.WriteFile(filepath.Join(dir, harvest.TracksFile), rows); err != nil {
		return nil, err
	}
	pts := map[int64]int64{}
	for _, f := range frames {
		pts[f.Index] = f.PTSms
	}
	cj := harvest.Cuts{Frames: nonNil(res.Cuts), Method: fmt.Sprintf("half-L1 distance of %d-bin colour histograms of frames downscaled to %d px wide", video.HistBins*video.HistBins*video.HistBins, video.HistWidth),
		Threshold: cmp.Or(cutConfig.Threshold, track.DefaultCutThreshold), FramesRead: read, DecodeS: decodeS, PTSms: []int64{}}
	for _, c := range res.Cuts {
		p, ok := pts[c]
		if !ok {
			p = video.PTSms(info, c)
		}
		cj.PTSms = append(cj.PTSms, p)
	}
	if err := writeJSON(filepath.Join(dir, harvest.CutsFile), cj); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(dir, harvest.TracksMetricsFile), res.Metrics); err != nil {
		return nil, err
	}
	m := res.Metrics
	r.Logf("tracks=%d assigned=%d/%d short=%.2f id_switches=%d fragments=%d", m.Tracks, m.AssignedDetections, m.Detections, m.ShortTrackFraction, m.IDSwitchEstimate, m.FragmentEstimate)
	return TrackResult{Metrics: m, CutFrames: nonNil(res.Cuts), FramesRead: read, CutDecodeS: round3(decodeS), TrackBuildS: round3(buildS)}, nil
}

// readTrackInputs reads the sampled frame list and the detections joined
// with their embeddings.
func readTrackInputs(dir string) ([]track.Frame, []track.Detection, error) {
	manifest := filepath.Join(dir, harvest.ManifestFile)
	detPath := filepath.Join(dir, harvest.DetectionsFile)
	embPath := filepath.Join(dir, harvest.EmbeddingsFile)
	if err := harvest.Need(manifest, "extract"); err != nil {
		return nil, nil, err
	}
	for _, p := range []string{detPath, embPath} {
		if err := harvest.Need(p, "detect"); err != nil {
			return nil, nil, err
		}
	}
	mrows, err := harvest.ReadAll[harvest.ManifestRow](manifest)
	if err != nil {
		return nil, nil, err
	}
	var frames []track.Frame
	for _, m := range mrows {
		if m.Sampled {
			frames = append(frames, track.Frame{Index: m.FrameIndex, PTSms: m.PTSms})
		}
	}
	drows, err := harvest.ReadAll[harvest.DetectionRow](detPath)
	if err != nil {
		return nil, nil, err
	}
	erows, err := harvest.ReadAll[harvest.EmbeddingRow](embPath)
	if err != nil {
		return nil, nil, err
	}
	emb := make(map[int64][]float32, len(erows))
	for _, e := range erows {
		emb[e.DetID] = e.Vec
	}
	dets := make([]track.Detection, len(drows))
	for i, d := range drows {
		dets[i] = track.Detection{
			DetID: d.DetID, FrameIndex: d.FrameIndex, PTSms: d.PTSms,
			Box: [4]float32{d.X1, d.Y1, d.X2, d.Y2}, Score: d.Score,
			Embedding: emb[d.DetID], FaceH: d.FaceH, Landmarks: d.Landmarks, Blur: d.Blur,
		}
	}
	return frames, dets, nil
}

// detectCuts decodes the sampled frames again and returns the frames that
// start a new shot, and how many frames it read.
func detectCuts(ctx context.Context, r job.Reporter, path string, info video.Info, smp video.Sampling) ([]int64, int, error) {
	total := int64(len(video.SampleIndices(info, smp)))
	rd, err := video.OpenReader(path, info, smp, 0)
	if err != nil {
		return nil, 0, err
	}
	defer rd.Close()
	small := gocv.NewMat()
	defer small.Close()
	det := cutConfig
	var cuts []int64
	n := 0
	r.Progress(0, total, "frames")
	for {
		f, ok, err := rd.Next(ctx)
		if err != nil {
			return nil, n, err
		}
		if !ok {
			break
		}
		if det.Push(video.ColourHist(f.Mat, &small)) {
			cuts = append(cuts, f.Index)
		}
		n++
		r.Progress(int64(n), total, "frames")
	}
	return cuts, n, nil
}

// ---- cluster --------------------------------------------------------

// ClusterResult is the cluster stage's result.
type ClusterResult struct {
	identity.Metrics
	Identities   int     `json:"identities"`
	CurationOps  int     `json:"curation_ops"`
	Threshold    float64 `json:"threshold"`
	MinTrackLen  int     `json:"min_track_len"`
	LockedPeople int     `json:"locked_people"`
}

func (d Deps) clusterStage() job.StageDef {
	return job.StageDef{
		Name: "cluster", Label: Label("cluster"), Flag: "clustered",
		Run: d.runCluster,
		Fingerprint: func(ctx context.Context, j job.Job) (string, error) {
			dir := harvest.Dir(d.DataDir, j.EpisodeKey)
			a := analysisSettingsOf(j)
			ops, err := d.Store.Curation(ctx, j.EpisodeKey)
			if err != nil {
				return "", err
			}
			refs, err := d.facebank(ctx, j.EpisodeKey)
			if err != nil {
				return "", err
			}
			// The sequence numbers stay in: identities_metrics.json's
			// Applied (what the Cast view compares) names them, and a
			// skipped run would leave it behind.
			for i := range ops {
				ops[i].At = time.Time{}
			}
			legacy := ""
			if logged, err := d.Store.CurationLogged(ctx, j.EpisodeKey); err != nil {
				return "", err
			} else if !logged {
				legacy = contentID(filepath.Join(dir, harvest.CurationFile)) // to be imported
			}
			return fingerprint(clusterAlgorithm, a.clusterConfig().Resolved(), fileID(filepath.Join(dir, harvest.TracksFile)), legacy, ops, refs), nil
		},
		// Complete also asks that the identities show the log and cast
		// list of now: the fingerprint is taken as the stage starts and the
		// log is read a moment later, so an operation between the two must
		// not let a later run skip.
		Complete: func(ctx context.Context, j job.Job) bool {
			dir := harvest.Dir(d.DataDir, j.EpisodeKey)
			if !exists(filepath.Join(dir, harvest.IdentitiesFile)) {
				return false
			}
			m, err := harvest.ReadIdentitiesMetrics(dir)
			if err != nil {
				return false
			}
			ops, err := d.Store.Curation(ctx, j.EpisodeKey)
			if err != nil {
				return false
			}
			refs, err := d.facebank(ctx, j.EpisodeKey)
			return err == nil && m.Applied == identity.CurationState(ops, refs)
		},
	}
}

func (d Deps) runCluster(ctx context.Context, r job.Reporter) (any, error) {
	key := r.Job().EpisodeKey
	if err := episode.ValidateKey(key); err != nil {
		return nil, err
	}
	dir := harvest.Dir(d.DataDir, key)
	a := analysisSettingsOf(r.Job())
	tracks, err := harvest.ReadTracks(dir)
	if err != nil {
		return nil, err
	}
	r.Progress(0, int64(len(tracks)), "tracks")
	ops, err := d.curation(ctx, r, key, dir)
	if err != nil {
		return nil, err
	}
	refs, err := d.facebank(ctx, key)
	if err != nil {
		return nil, err
	}
	res, err := clusterTracks(ctx, tracks, a.clusterConfig(), ops)
	if err != nil {
		return nil, err
	}
	if len(refs) > 0 {
		res = identity.Name(res, tracks, refs, identity.NameConfig{})
		named, offered := 0, 0
		for _, id := range res.Identities {
			switch {
			case id.FacebankName != "":
				named++
				r.Logf("facebank identity=%d named %q: %s", id.ID, id.FacebankName, identity.Candidate{Name: id.FacebankName, File: id.FacebankFile, Score: id.FacebankScore, Margin: id.FacebankMargin}.Reason())
			case id.Suggestion != nil:
				offered++
				r.Logf("facebank identity=%d may be %q: %s", id.ID, id.Suggestion.Name, id.Suggestion.Reason())
			}
		}
		r.Logf("facebank show=%q headshots=%d matched=%d offered=%d", episode.ShowOf(key), len(refs), named, offered)
	}
	rows := make([]harvest.IdentityRow, len(res.Identities))
	locked := 0
	for i, id := range res.Identities {
		rows[i] = harvest.IdentityRowOf(id)
		if id.Locked {
			locked++
		}
	}
	if err := harvest.WriteFile(filepath.Join(dir, harvest.IdentitiesFile), rows); err != nil {
		return nil, err
	}
	cfg := a.clusterConfig()
	if err := writeJSON(filepath.Join(dir, harvest.IdentitiesMetricsFile), harvest.IdentitiesMetrics{
		Metrics: res.Metrics, Threshold: cfg.Threshold, MinTrackLen: cfg.MinTrackLen,
		MinFaceH: cmp.Or(cfg.MinFaceH, identity.DefaultMinFaceH), CurationOps: len(ops), Unidentified: nonNil(res.Unidentified),
		Applied: identity.CurationState(ops, refs), Tracks: harvest.TracksDigest(tracks),
	}); err != nil {
		return nil, err
	}
	r.Progress(int64(len(tracks)), int64(len(tracks)), "tracks")
	m := res.Metrics
	r.Logf("identities=%d clustered=%d unidentified=%d singletons=%.2f largest=%.2f curation_ops=%d", m.Clusters, m.ClusteredTracks, m.UnidentifiedTracks, m.SingletonFraction, m.LargestClusterFraction, len(ops))
	return ClusterResult{Metrics: m, Identities: len(res.Identities), CurationOps: len(ops),
		Threshold: cfg.Threshold, MinTrackLen: cfg.MinTrackLen, LockedPeople: locked}, nil
}

// clusterTracks clusters tracks and replays the curation log on the result.
func clusterTracks(ctx context.Context, tracks []track.Track, cfg identity.Config, ops []identity.Op) (identity.Result, error) {
	res, err := identity.Cluster(ctx, tracks, cfg)
	if err != nil {
		return identity.Result{}, fmt.Errorf("pipeline: cluster: %w", err)
	}
	if len(ops) > 0 {
		res = identity.Apply(res, tracks, ops)
	}
	return res, nil
}

// curation returns the episode's curation log from the store. A
// curation.json left by an older version (the store never held a log for
// the episode) is imported into the store first.
func (d Deps) curation(ctx context.Context, r job.Reporter, key, dir string) ([]identity.Op, error) {
	logged, err := d.Store.CurationLogged(ctx, key)
	if err != nil {
		return nil, err
	}
	if !logged {
		legacy, err := readCuration(filepath.Join(dir, harvest.CurationFile))
		if err != nil {
			return nil, err
		}
		valid := legacy[:0]
		for i, op := range legacy {
			if err := op.Validate(); err != nil {
				r.Logf("curation import: operation %d of %s left out: %s", i+1, harvest.CurationFile, errs.As(err).Message)
				continue
			}
			valid = append(valid, op)
		}
		if len(valid) < len(legacy) {
			// The store's export rewrites curation.json: keep what was left out.
			src := filepath.Join(dir, harvest.CurationFile)
			if b, err := os.ReadFile(src); err == nil {
				if err := atomicfile.Write(src+".bak", b); err != nil {
					return nil, errs.FS(err, src+".bak")
				}
				r.Logf("curation import: %s kept as %s.bak", harvest.CurationFile, harvest.CurationFile)
			}
		}
		if len(valid) > 0 {
			if imported, err := d.Store.ImportCuration(ctx, key, valid); err != nil {
				return nil, err
			} else if imported {
				r.Logf("curation import: %d operation(s) from %s", len(valid), harvest.CurationFile)
			}
		}
	}
	return d.Store.Curation(ctx, key)
}

// facebank returns the cast list of the episode's show as references.
func (d Deps) facebank(ctx context.Context, key string) ([]identity.Reference, error) {
	hs, err := d.Store.Headshots(ctx, episode.ShowOf(key))
	if err != nil {
		return nil, err
	}
	return identity.FacebankRefs(hs), nil
}

// readCuration reads curation.json (an identity.Log, or a bare list of
// operations); no file is an empty log.
func readCuration(path string) ([]identity.Op, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.FS(err, path)
	}
	bad := func(err error) error {
		return job.Permanent(errs.Wrap(errs.Usage, err, fmt.Sprintf("%s is not a curation log.", filepath.Base(path)), "Fix or remove the file, then run cluster again."))
	}
	trim := strings.TrimSpace(string(b))
	if strings.HasPrefix(trim, "[") {
		var ops []identity.Op
		if err := json.Unmarshal(b, &ops); err != nil {
			return nil, bad(err)
		}
		return ops, nil
	}
	var l identity.Log
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, bad(err)
	}
	return l.Ops, nil
}

// ---- analytics ------------------------------------------------------

// AnalyticsResult is the analytics stage's result.
type AnalyticsResult struct {
	People          int           `json:"people"`
	DurationS       float64       `json:"duration_s"`
	SampleIntervalS float64       `json:"sample_interval_s"`
	Preset          string        `json:"preset"`
	FacesOnScreenS  float64       `json:"faces_on_screen_s"`
	UnidentifiedS   float64       `json:"unidentified_s"`
	Top             []PersonShare `json:"top"` // up to 5, most screen time first
}

// PersonShare is one line of AnalyticsResult.Top.
type PersonShare struct {
	Label       string  `json:"label"`
	ScreenTimeS float64 `json:"screen_time_s"`
	Share       float64 `json:"share"`
}

func (d Deps) analyticsStage() job.StageDef {
	files := func(key string) []string {
		dir := harvest.Dir(d.DataDir, key)
		return []string{filepath.Join(dir, harvest.ScreentimeJSONFile), filepath.Join(dir, harvest.ScreentimeCSVFile), filepath.Join(dir, harvest.SegmentsFile), filepath.Join(dir, harvest.ReportHTMLFile)}
	}
	return job.StageDef{
		Name: "analytics", Label: Label("analytics"), Flag: "analyzed",
		Run: d.runAnalytics,
		Fingerprint: func(ctx context.Context, j job.Job) (string, error) {
			ep, err := d.Store.Episode(ctx, j.EpisodeKey)
			dir := harvest.Dir(d.DataDir, j.EpisodeKey)
			return fingerprint(analyticsAlgorithm, analysisSettingsOf(j).ScreenTimePreset, detectedWith(dir, j).SampleFPS, string(ep.Video),
				fileID(filepath.Join(dir, harvest.TracksFile)), fileID(filepath.Join(dir, harvest.IdentitiesFile))), err
		},
		Complete: func(ctx context.Context, j job.Job) bool { return exists(files(j.EpisodeKey)...) },
	}
}

func (d Deps) runAnalytics(ctx context.Context, r job.Reporter) (any, error) {
	ep, info, err := d.validatedEpisode(ctx, r)
	if err != nil {
		return nil, err
	}
	dir := harvest.Dir(d.DataDir, ep.Key)
	s := detectedWith(dir, r.Job())
	a := analysisSettingsOf(r.Job())
	r.Progress(0, 4, "files")
	tracks, err := harvest.ReadTracks(dir)
	if err != nil {
		return nil, err
	}
	ids, err := harvest.ReadIdentities(dir, tracks)
	if err != nil {
		return nil, err
	}
	rep, err := screentime.Compute(screentime.Input{
		EpisodeKey: ep.Key, DurationMs: int64(math.Round(info.DurationS * 1000)),
		SampleIntervalMs: sampleIntervalMs(info, s), Tracks: tracks, Identities: ids,
	}, screentime.Options{Preset: screentime.Preset(a.ScreenTimePreset)})
	if err != nil {
		return nil, err
	}
	if err := writeReport(dir, rep, runInfo(ep, info, s, a, detStatsOf(dir).Models)); err != nil {
		return nil, err
	}
	r.Progress(4, 4, "files")
	res := AnalyticsResult{People: len(rep.People), DurationS: rep.DurationS, SampleIntervalS: rep.SampleIntervalS,
		Preset: string(rep.Preset), FacesOnScreenS: rep.FacesOnScreenS, UnidentifiedS: rep.Unidentified.ScreenTimeS, Top: []PersonShare{}}
	for _, p := range rep.People {
		if len(res.Top) < 5 {
			res.Top = append(res.Top, PersonShare{Label: p.Label, ScreenTimeS: p.ScreenTimeS, Share: round3(p.Share)})
		}
		r.Logf("person=%q screen_time=%.2fs ±%.2fs share=%.3f appearances=%d", p.Label, p.ScreenTimeS, p.MarginS, p.Share, p.Appearances)
	}
	r.Logf("people=%d unidentified=%.2fs duration=%.2fs", len(rep.People), rep.Unidentified.ScreenTimeS, rep.DurationS)
	return res, nil
}

// writeReport writes screentime.json, screentime.csv, segments.parquet and
// report.html.
func writeReport(dir string, rep screentime.Report, info screentime.RunInfo) error {
	type out struct {
		name  string
		write func(w io.Writer) error
	}
	for _, o := range []out{
		{harvest.ScreentimeJSONFile, func(w io.Writer) error { return screentime.WriteJSON(w, rep) }},
		{harvest.ScreentimeCSVFile, func(w io.Writer) error { return screentime.WriteCSV(w, rep) }},
		{harvest.ReportHTMLFile, func(w io.Writer) error { return screentime.WriteHTML(w, rep, info) }},
	} {
		if err := atomicfile.WriteFunc(filepath.Join(dir, o.name), o.write); err != nil {
			return err
		}
	}
	var rows []harvest.SegmentRow
	for _, s := range rep.SegmentRows() {
		rows = append(rows, harvest.SegmentRow{IdentityID: s.IdentityID, Label: s.Label, Index: int32(s.Index), StartMs: s.StartMs, EndMs: s.EndMs})
	}
	return harvest.WriteFile(filepath.Join(dir, harvest.SegmentsFile), rows)
}

// runInfo is what the printable report says about the run; used lists the
// models the detections were made with (det_stats.json).
func runInfo(ep episode.Episode, info video.Info, s JobSettings, a AnalysisSettings, used []ModelUsed) screentime.RunInfo {
	ri := screentime.RunInfo{
		Title: cmp.Or(ep.Title, filepath.Base(ep.VideoPath), ep.Key), GeneratedAt: time.Now(),
		Rate: screentime.RateOf(info.FPS, info.StartTimecode), StartTC: info.StartTimecode,
		Settings: map[string]string{
			"sample fps":         strconv.FormatFloat(s.SampleFPS, 'g', -1, 64),
			"detect preset":      s.DetectPreset,
			"cluster threshold":  strconv.FormatFloat(a.ClusterThreshold, 'g', -1, 64),
			"min track length":   strconv.Itoa(a.MinTrackLen),
			"screen-time preset": a.ScreenTimePreset,
			"tracker":            trackAlgorithm + " (package defaults)",
		},
		Models: map[string]string{},
	}
	if len(used) == 0 { // detections of an older version: the pack it names, origin not recorded
		for _, m := range modelpack.Default().Models {
			used = append(used, ModelUsed{Name: m.Name, Role: m.Role, File: m.File, SHA256: m.SHA256, Licence: m.Licence, TrainingData: m.TrainingData})
		}
	}
	for _, m := range used {
		from := cmp.Or(m.Origin, "origin not recorded")
		if m.Path != "" {
			from = "from " + m.Path
		}
		line := fmt.Sprintf("%s (%s), %s, licence %s", m.Name, cmp.Or(m.File, "?"), from, cmp.Or(m.Licence, "unknown"))
		if m.TrainingData != "" {
			line += ", trained on " + m.TrainingData
		}
		ri.Models[cmp.Or(m.Role, m.Name)] = line + ", sha256:" + m.SHA256
	}
	return ri
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
