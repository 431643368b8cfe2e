package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/harvest"
	"castscope/backend/identity"
	"castscope/backend/job"
	"castscope/backend/screentime"
	"castscope/backend/testmedia"
	"castscope/backend/track"
	"castscope/backend/track/tracktest"
	"castscope/backend/video"
)

// anaStore is the registry the stages see: one episode, its curation log
// (undo is the service's, not the stages') and a cast list.
type anaStore struct {
	ep        episode.Episode
	ops       []identity.Op
	logged    bool
	headshots []identity.Headshot
}

func (s *anaStore) Curation(ctx context.Context, key string) ([]identity.Op, error) {
	return slices.Clone(s.ops), nil
}

func (s *anaStore) CurationLogged(ctx context.Context, key string) (bool, error) {
	return s.logged, nil
}

func (s *anaStore) ImportCuration(ctx context.Context, key string, ops []identity.Op) (bool, error) {
	if s.logged {
		return false, nil
	}
	for _, op := range ops {
		if err := op.Validate(); err != nil {
			return false, err
		}
	}
	for _, op := range ops {
		s.logged = true
		op.Seq = int64(len(s.ops) + 1)
		s.ops = append(s.ops, op)
	}
	return true, nil
}

func (s *anaStore) Headshots(ctx context.Context, show string) ([]identity.Headshot, error) {
	return s.headshots, nil
}

func (s *anaStore) Episode(ctx context.Context, key string) (episode.Episode, error) {
	if key != s.ep.Key {
		return episode.Episode{}, errs.New(errs.EpisodeNotRegistered, "unknown episode "+key, "")
	}
	return s.ep, nil
}

func (s *anaStore) SetEpisodeVideo(ctx context.Context, key string, v json.RawMessage) error {
	s.ep.Video = v
	return nil
}

// anaReporter records progress and log lines.
type anaReporter struct {
	j    job.Job
	logs []string
	done int64
}

func (r *anaReporter) Progress(done, total int64, unit string) { r.done = done }
func (r *anaReporter) Checkpoint() json.RawMessage             { return nil }
func (r *anaReporter) SaveCheckpoint(v any) error              { return nil }
func (r *anaReporter) Logf(format string, args ...any)         { r.logs = append(r.logs, format) }
func (r *anaReporter) Job() job.Job                            { return r.j }

// anaMedia returns faces_synthetic.mp4 of the test media folder
// (testmedia.Path): it skips when absent, or fails under
// CASTSCOPE_REQUIRE_MODELS=1, so CI never skips the analysis tests.
func anaMedia(t *testing.T) string {
	t.Helper()
	p, _ := filepath.Abs(testmedia.Path(t, "faces_synthetic.mp4"))
	return p
}

// anaEnv is a data folder with one episode (the real faces_synthetic.mp4,
// for the shot-cut pass) whose manifest, detections and embeddings are
// written from a synthetic script.
type anaEnv struct {
	d    Deps
	ep   episode.Episode
	info video.Info
	dir  string
	syn  tracktest.Episode
	set  json.RawMessage
}

// anaScript fits faces_synthetic.mp4 (15 fps, 8.13 s, sampled at 5 fps:
// frame 3k at 200k ms): Alice all along, moving and growing, Bea from 1 s
// to 6 s, a few misses and background faces.
func anaScript() tracktest.Script {
	box := func(x, y, h float32) [4]float32 { return [4]float32{x, y, x + h*0.8, y + h} }
	return tracktest.Script{
		Seed: 7, DurationMs: 8200, IntervalMs: 200, FPS: 15, Dim: 128, Background: 3,
		People: []tracktest.Person{
			{Name: "Alice", Appearances: []tracktest.Appearance{
				{StartMs: 0, EndMs: 8200, From: box(60, 80, 90), To: box(160, 90, 120), MissMs: []int64{1400, 6000}},
			}},
			{Name: "Bea", Appearances: []tracktest.Appearance{
				{StartMs: 1000, EndMs: 6000, From: box(420, 100, 80), To: box(400, 110, 80), MissMs: []int64{3400}},
			}},
		},
	}
}

func newAnaEnv(t *testing.T, script tracktest.Script, withDets bool) *anaEnv {
	t.Helper()
	media := anaMedia(t)
	info, err := video.Probe(context.Background(), media)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(info)
	e := &anaEnv{info: info, syn: tracktest.Generate(script)}
	e.ep = episode.Episode{Key: "ana_ep", Title: "Ana", VideoPath: media, Fingerprint: "fp1", Video: raw}
	e.d = Deps{Store: &anaStore{ep: e.ep}, DataDir: t.TempDir(), Env: func() Env { return Env{} }}
	e.dir = harvest.Dir(e.d.DataDir, e.ep.Key)
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.set = json.RawMessage(`{"sample_fps":5}`)

	// The synthetic frames must be the video's sampled frames.
	idx := video.SampleIndices(info, video.Sampling{FPS: 5})
	sampled := map[int64]bool{}
	for _, f := range e.syn.Frames {
		sampled[f.Index] = true
		if video.PTSms(info, f.Index) != f.PTSms {
			t.Fatalf("frame %d: pts %d, video says %d", f.Index, f.PTSms, video.PTSms(info, f.Index))
		}
	}
	var man []harvest.ManifestRow
	for i := int64(0); i < info.Frames; i++ {
		man = append(man, harvest.ManifestRow{FrameIndex: i, PTSms: video.PTSms(info, i), Width: int32(info.Width), Height: int32(info.Height), Sampled: slices.Contains(idx, i)})
	}
	for _, i := range idx {
		if !sampled[i] {
			t.Fatalf("sampled frame %d has no synthetic frame", i)
		}
	}
	var dets []harvest.DetectionRow
	var embs []harvest.EmbeddingRow
	if withDets {
		for i := range e.syn.Dets {
			d := &e.syn.Dets[i]
			d.Landmarks = frontalLandmarks(d.Box)
			dets = append(dets, harvest.DetectionRow{DetID: d.DetID, FrameIndex: d.FrameIndex, PTSms: d.PTSms,
				X1: d.Box[0], Y1: d.Box[1], X2: d.Box[2], Y2: d.Box[3], Score: d.Score,
				Landmarks: d.Landmarks, FaceW: d.Box[2] - d.Box[0], FaceH: d.FaceH})
			embs = append(embs, harvest.EmbeddingRow{DetID: d.DetID, FrameIndex: d.FrameIndex, Vec: d.Embedding})
		}
	}
	for name, rows := range map[string]any{"manifest.parquet": man, "detections.parquet": dets, "embeddings.parquet": embs} {
		var err error
		switch r := rows.(type) {
		case []harvest.ManifestRow:
			err = harvest.WriteFile(filepath.Join(e.dir, name), r)
		case []harvest.DetectionRow:
			err = harvest.WriteFile(filepath.Join(e.dir, name), r)
		case []harvest.EmbeddingRow:
			err = harvest.WriteFile(filepath.Join(e.dir, name), r)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *anaEnv) reporter() *anaReporter {
	return &anaReporter{j: job.Job{ID: "job1", EpisodeKey: e.ep.Key, Settings: e.set}}
}

// run runs one stage's body the way the runner does and checks the stage
// says its outputs are complete afterwards.
func (e *anaEnv) run(t *testing.T, def job.StageDef) any {
	t.Helper()
	r := e.reporter()
	res, err := def.Run(context.Background(), r)
	if err != nil {
		t.Fatalf("%s: %v", def.Name, err)
	}
	if !def.Complete(context.Background(), r.j) {
		t.Fatalf("%s: outputs not complete after an ok run", def.Name)
	}
	if _, err := def.Fingerprint(context.Background(), r.j); err != nil {
		t.Fatalf("%s: fingerprint: %v", def.Name, err)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatalf("%s: result does not encode: %v", def.Name, err)
	}
	return res
}

func (e *anaEnv) runAll(t *testing.T) {
	t.Helper()
	e.run(t, e.d.trackStage())
	e.run(t, e.d.clusterStage())
	e.run(t, e.d.analyticsStage())
}

func readJSONFile[T any](t *testing.T, path string) T {
	t.Helper()
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func TestAnalysisStagesMatchPureFunctions(t *testing.T) {
	e := newAnaEnv(t, anaScript(), true)
	ctx := context.Background()

	// track
	tr := e.run(t, e.d.trackStage()).(TrackResult)
	cuts := readJSONFile[harvest.Cuts](t, filepath.Join(e.dir, harvest.CutsFile))
	// faces_synthetic.mp4 has two hard cuts (photo changes after frames
	// 38 and about 78); the sampled frames see them at 39 and 78.
	if len(cuts.Frames) != 2 || cuts.Frames[0] != 39 || cuts.Frames[1] != 78 {
		t.Errorf("cuts = %v, want [39 78]", cuts.Frames)
	}
	if tr.FramesRead != len(e.syn.Frames) || !slices.Equal(tr.CutFrames, cuts.Frames) || len(cuts.PTSms) != len(cuts.Frames) {
		t.Errorf("result %+v vs cuts.json %+v", tr, cuts)
	}
	want, err := track.Build(ctx, e.syn.Frames, e.syn.Dets, cuts.Frames, track.Config{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := harvest.ReadTracks(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want.Tracks) || tr.Tracks != len(got) {
		t.Fatalf("tracks.parquet has %d tracks, Build gives %d, result says %d", len(got), len(want.Tracks), tr.Tracks)
	}
	for i, w := range want.Tracks {
		g := got[i]
		if g.ID != w.ID || !slices.Equal(g.DetIDs, w.DetIDs) || !slices.Equal(g.Frames, w.Frames) || !slices.Equal(g.PTSms, w.PTSms) ||
			!slices.Equal(g.Boxes, w.Boxes) || !slices.Equal(g.Embedding, w.Embedding) || g.Quality != w.Quality || g.MedianFaceH != w.MedianFaceH ||
			g.StartPTSms != w.StartPTSms || g.EndFrame != w.EndFrame {
			t.Errorf("track %d differs from Build's", w.ID)
		}
		if p, purity := e.syn.PersonOfTrack(g); purity < 1 {
			t.Errorf("track %d mixes people (person %d, purity %.2f)", g.ID, p, purity)
		}
	}
	if m := readJSONFile[track.Metrics](t, filepath.Join(e.dir, harvest.TracksMetricsFile)); m != want.Metrics || tr.Metrics != want.Metrics {
		t.Errorf("tracks_metrics.json %+v, want %+v", m, want.Metrics)
	}

	// cluster
	cr := e.run(t, e.d.clusterStage()).(ClusterResult)
	wantIDs, err := identity.Cluster(ctx, got, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := harvest.ReadIdentities(e.dir, got)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids.Identities) != len(wantIDs.Identities) || cr.Identities != len(ids.Identities) || cr.Metrics != wantIDs.Metrics {
		t.Fatalf("identities.parquet %d, Cluster %d, result %+v", len(ids.Identities), len(wantIDs.Identities), cr)
	}
	for i, w := range wantIDs.Identities {
		g := ids.Identities[i]
		if g.ID != w.ID || g.Label != w.Label || !slices.Equal(g.TrackIDs, w.TrackIDs) || !slices.Equal(g.Centroid, w.Centroid) || g.Size != w.Size || g.Locked != w.Locked {
			t.Errorf("identity %d differs: %+v vs %+v", w.ID, g, w)
		}
	}
	if !slices.Equal(ids.Unidentified, wantIDs.Unidentified) {
		t.Errorf("unidentified %v, want %v", ids.Unidentified, wantIDs.Unidentified)
	}
	// Two people, each in one identity, no identity with two people.
	if len(ids.Identities) != 2 {
		t.Fatalf("%d identities, want 2", len(ids.Identities))
	}
	byTrack := map[int64]track.Track{}
	for _, tk := range got {
		byTrack[tk.ID] = tk
	}
	personOf := map[int64]int{} // identity → person
	for _, id := range ids.Identities {
		persons := map[int]bool{}
		for _, tid := range id.TrackIDs {
			p, _ := e.syn.PersonOfTrack(byTrack[tid])
			persons[p] = true
			personOf[id.ID] = p
		}
		if len(persons) != 1 {
			t.Errorf("identity %d holds people %v", id.ID, persons)
		}
	}
	if personOf[1] == personOf[2] {
		t.Errorf("both identities are person %d", personOf[1])
	}

	// analytics
	ar := e.run(t, e.d.analyticsStage()).(AnalyticsResult)
	wantRep, err := screentime.Compute(screentime.Input{EpisodeKey: e.ep.Key, DurationMs: int64(math.Round(e.info.DurationS * 1000)),
		SampleIntervalMs: 200, Tracks: got, Identities: wantIDs}, screentime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := harvest.ReadReport(e.d.DataDir, e.ep.Key)
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(rep)
	wb, _ := json.Marshal(wantRep)
	if !bytes.Equal(gb, wb) {
		t.Errorf("screentime.json differs from Compute's report:\n%s\n%s", gb, wb)
	}
	if ar.People != 2 || ar.SampleIntervalS != 0.2 || ar.DurationS != wantRep.DurationS {
		t.Errorf("result %+v", ar)
	}
	truth := e.syn.TruthMs()
	for _, p := range rep.People {
		want := float64(min(truth[personOf[p.IdentityID]], int64(e.info.DurationS*1000))) / 1000
		t.Logf("%s: %.2f s ± %.2f, truth %.2f s", p.Label, p.ScreenTimeS, p.MarginS, want)
		if tol := max(0.02*want, 0.5); math.Abs(p.ScreenTimeS-want) > tol {
			t.Errorf("%s: %.2f s on screen, truth %.2f s", p.Label, p.ScreenTimeS, want)
		}
	}
	// segments.parquet sums to the report.
	segs, err := harvest.ReadAll[harvest.SegmentRow](filepath.Join(e.dir, harvest.SegmentsFile))
	if err != nil {
		t.Fatal(err)
	}
	sum := map[int64]int64{}
	for _, s := range segs {
		sum[s.IdentityID] += s.EndMs - s.StartMs
	}
	for _, p := range rep.People {
		if sum[p.IdentityID] != int64(math.Round(p.ScreenTimeS*1000)) {
			t.Errorf("%s: segments sum to %d ms, report says %.3f s", p.Label, sum[p.IdentityID], p.ScreenTimeS)
		}
	}
	if sum[0] != int64(math.Round(rep.Unidentified.ScreenTimeS*1000)) {
		t.Errorf("unidentified: segments %d ms, report %.3f s", sum[0], rep.Unidentified.ScreenTimeS)
	}
	var csvBuf bytes.Buffer
	if err := screentime.WriteCSV(&csvBuf, rep); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(e.dir, harvest.ScreentimeCSVFile)); !bytes.Equal(b, csvBuf.Bytes()) {
		t.Errorf("screentime.csv differs from WriteCSV:\n%s", b)
	}
	html, _ := os.ReadFile(filepath.Join(e.dir, harvest.ReportHTMLFile))
	for _, s := range []string{"Screen time", "Person 1", "cluster threshold", "sha256:", "00:00:00:00"} {
		if !bytes.Contains(html, []byte(s)) {
			t.Errorf("report.html lacks %q", s)
		}
	}
}

func TestAnalysisNoFacesIsAnEmptyReport(t *testing.T) {
	e := newAnaEnv(t, tracktest.Script{DurationMs: 8200, IntervalMs: 200, FPS: 15}, false)
	e.runAll(t)
	rep, err := harvest.ReadReport(e.d.DataDir, e.ep.Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.People) != 0 || rep.Unidentified.ScreenTimeS != 0 || rep.DurationS == 0 {
		t.Errorf("report %+v", rep)
	}
	opts, err := exportOptionsOf(e.ep)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []screentime.Format{screentime.FormatCSV, screentime.FormatJSON, screentime.FormatEDL, screentime.FormatFCPXML, screentime.FormatOTIO} {
		var b bytes.Buffer
		if err := screentime.Export(&b, f, rep, opts); err != nil {
			t.Errorf("%s of an empty report: %v", f, err)
		}
	}
}

func TestAnalysisMissingInputsAreTyped(t *testing.T) {
	e := newAnaEnv(t, anaScript(), true)
	ctx := context.Background()
	check := func(what string, err error) {
		t.Helper()
		if errs.CodeOf(err) != errs.ArtifactMissing || !job.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent ERR_ARTIFACT_MISSING", what, err)
		}
	}
	_, err := e.d.clusterStage().Run(ctx, e.reporter())
	check("cluster without tracks", err)
	_, err = harvest.ReadReport(e.d.DataDir, e.ep.Key)
	check("report before analytics", err)
	if !strings.Contains(errs.As(err).Hint, "analytics") {
		t.Errorf("hint %q does not say to run analytics", errs.As(err).Hint)
	}
	if err := os.Remove(filepath.Join(e.dir, "embeddings.parquet")); err != nil {
		t.Fatal(err)
	}
	_, err = e.d.trackStage().Run(ctx, e.reporter())
	check("track without embeddings", err)
	if !strings.Contains(errs.As(err).Message, "embeddings.parquet") {
		t.Errorf("message %q does not name the file", errs.As(err).Message)
	}
	if e.d.trackStage().Complete(ctx, e.reporter().j) {
		t.Error("track complete without outputs")
	}
	// analytics with tracks but no identities
	e2 := newAnaEnv(t, anaScript(), true)
	e2.run(t, e2.d.trackStage())
	_, err = e2.d.analyticsStage().Run(ctx, e2.reporter())
	check("analytics without identities", err)
	// a damaged curation log is the user's to fix, not retried
	if err := os.WriteFile(filepath.Join(e2.dir, harvest.CurationFile), []byte("{nope"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err = e2.d.clusterStage().Run(ctx, e2.reporter()); errs.CodeOf(err) != errs.Usage || !job.IsPermanent(err) {
		t.Errorf("damaged curation.json: %v", err)
	}
}

func TestAnalysisReplaysCurationLog(t *testing.T) {
	e := newAnaEnv(t, anaScript(), true)
	e.runAll(t)
	tracks, err := harvest.ReadTracks(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := harvest.ReadIdentities(e.dir, tracks)
	if err != nil {
		t.Fatal(err)
	}
	var l identity.Log
	l.Rename(ids.Identities[0], "Alice Adams")
	l.Lock(ids.Identities[1])
	// An operation this version cannot read is left out of the import
	// (and said in the log), not the end of the stage.
	l.Ops = append(l.Ops, identity.Op{Kind: "explode"})
	b, _ := json.Marshal(l)
	if err := os.WriteFile(filepath.Join(e.dir, harvest.CurationFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	fp1, _ := e.d.clusterStage().Fingerprint(context.Background(), e.reporter().j)
	// Another threshold: the names and locks still hold.
	e.set = json.RawMessage(`{"sample_fps":5,"cluster_threshold":0.45}`)
	fp2, _ := e.d.clusterStage().Fingerprint(context.Background(), e.reporter().j)
	if fp1 == fp2 {
		t.Error("cluster fingerprint ignores the threshold")
	}
	cr := e.run(t, e.d.clusterStage()).(ClusterResult)
	e.run(t, e.d.analyticsStage())
	if cr.CurationOps != 2 || cr.LockedPeople != 1 || cr.Threshold != 0.45 {
		t.Errorf("result %+v", cr)
	}
	if kept, err := os.ReadFile(filepath.Join(e.dir, harvest.CurationFile+".bak")); err != nil || !bytes.Equal(kept, b) {
		t.Errorf("the file an operation was left out of is not kept: %v", err)
	}
	rep, err := harvest.ReadReport(e.d.DataDir, e.ep.Key)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := rep.Person("alice adams")
	if !ok {
		t.Fatalf("renamed person missing from %+v", rep.People)
	}
	if !slices.Equal(ids.Identities[0].TrackIDs, idsOf(t, e, p.IdentityID)) {
		t.Error("the renamed identity lost tracks")
	}
	locked := 0
	for _, p := range rep.People {
		if p.Locked {
			locked++
		}
	}
	if locked != 1 {
		t.Errorf("%d locked people, want 1", locked)
	}
}

func idsOf(t *testing.T, e *anaEnv, id int64) []int64 {
	rows, err := harvest.ReadAll[harvest.IdentityRow](filepath.Join(e.dir, harvest.IdentitiesFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.IdentityID == id {
			return r.TrackIDs
		}
	}
	return nil
}

func TestAnalysisExportFormatsAreValid(t *testing.T) {
	e := newAnaEnv(t, anaScript(), true)
	e.runAll(t)
	rep, err := harvest.ReadReport(e.d.DataDir, e.ep.Key)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := exportOptionsOf(e.ep)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Rate != (screentime.Rate{Num: 15, Den: 1}) || opts.MediaPath != e.ep.VideoPath || opts.Width != 640 {
		t.Errorf("options %+v", opts)
	}
	one, err := screentime.OnlyPerson(rep, " person 2 ")
	if err != nil || len(one.People) != 1 || one.People[0].Label != "Person 2" {
		t.Fatalf("OnlyPerson: %v %+v", err, one.People)
	}
	// Two identities the user gave one name export together.
	twice := rep
	twice.People = slices.Clone(rep.People)
	for i := range twice.People {
		twice.People[i].Label = "Kyle"
	}
	both, err := screentime.OnlyPerson(twice, "kyle")
	if err != nil || len(both.People) != len(rep.People) || len(both.CoAppearance.IdentityIDs) != len(rep.People) {
		t.Fatalf("OnlyPerson of a shared name: %v %+v %+v", err, both.People, both.CoAppearance)
	}
	if len(rep.People) > 1 && both.CoAppearance.Seconds[0][0] != rep.People[0].ScreenTimeS {
		t.Errorf("co-appearance diagonal %v, want %v", both.CoAppearance.Seconds[0][0], rep.People[0].ScreenTimeS)
	}
	if _, err := screentime.OnlyPerson(rep, "Nobody"); errs.CodeOf(err) != errs.Usage {
		t.Errorf("unknown person: %v", err)
	}
	segsOf := func(r screentime.Report) int {
		n := 0
		for _, p := range r.People {
			n += len(p.Segments)
		}
		return n
	}
	for _, r := range []screentime.Report{rep, one} {
		for _, f := range []screentime.Format{screentime.FormatCSV, screentime.FormatJSON, screentime.FormatEDL, screentime.FormatFCPXML, screentime.FormatOTIO} {
			var b bytes.Buffer
			if err := screentime.Export(&b, f, r, opts); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			switch f {
			case screentime.FormatEDL:
				err = screentime.ValidateEDL(b.Bytes(), opts.Rate)
			case screentime.FormatFCPXML:
				err = screentime.ValidateFCPXML(b.Bytes())
			case screentime.FormatJSON, screentime.FormatOTIO:
				var v map[string]any
				err = json.Unmarshal(b.Bytes(), &v)
			case screentime.FormatCSV:
				var rows [][]string
				rows, err = csv.NewReader(&b).ReadAll()
				if err == nil && len(rows) != 1+segsOf(r) {
					t.Errorf("csv has %d rows for %d segments", len(rows), segsOf(r))
				}
			}
			if err != nil {
				t.Errorf("%s (%d people): %v", f, len(r.People), err)
			}
		}
	}
}

// TestAnalysisKeepsTheDetectionSampling: settings changed after detect
// (here 1 fps) must not re-time the detections made at 5 fps when only
// cluster and analytics run again (what every curation action does).
func TestAnalysisKeepsTheDetectionSampling(t *testing.T) {
	e := newAnaEnv(t, anaScript(), true)
	e.runAll(t)
	before, err := harvest.ReadReport(e.d.DataDir, e.ep.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(e.dir, "det_stats.json"), DetStats{SampleFPS: 5, Preset: "default"}); err != nil {
		t.Fatal(err)
	}
	fp1, _ := e.d.analyticsStage().Fingerprint(context.Background(), e.reporter().j)
	e.set = json.RawMessage(`{"sample_fps":1}`)
	fp2, _ := e.d.analyticsStage().Fingerprint(context.Background(), e.reporter().j)
	if fp1 != fp2 {
		t.Error("the analytics fingerprint follows the new sampling setting, not the detections'")
	}
	e.run(t, e.d.clusterStage())
	e.run(t, e.d.analyticsStage())
	after, err := harvest.ReadReport(e.d.DataDir, e.ep.Key)
	if err != nil {
		t.Fatal(err)
	}
	if after.SampleIntervalS != 0.2 || len(after.People) != len(before.People) || after.People[0].ScreenTimeS != before.People[0].ScreenTimeS {
		t.Errorf("after a 1 fps setting: interval %.2fs, %d people, %.2fs (before: %.2fs, %d, %.2fs)",
			after.SampleIntervalS, len(after.People), after.People[0].ScreenTimeS, before.SampleIntervalS, len(before.People), before.People[0].ScreenTimeS)
	}
}

// frontalLandmarks places the five points of a frontal face in box, as
// RetinaFace does: eyes at 35 % and 65 % of the width, 40 % down; nose in
// the middle; mouth corners at 38 % and 62 %, 75 % down.
func frontalLandmarks(b [4]float32) []float32 {
	w, h := b[2]-b[0], b[3]-b[1]
	at := func(fx, fy float32) (float32, float32) { return b[0] + fx*w, b[1] + fy*h }
	var out []float32
	for _, p := range [][2]float32{{0.35, 0.4}, {0.65, 0.4}, {0.5, 0.55}, {0.38, 0.75}, {0.62, 0.75}} {
		x, y := at(p[0], p[1])
		out = append(out, x, y)
	}
	return out
}

// exportOptionsOf is what the service exports an episode with.
func exportOptionsOf(ep episode.Episode) (screentime.ExportOptions, error) {
	info, err := videoInfo(ep)
	if err != nil {
		return screentime.ExportOptions{}, err
	}
	return screentime.ExportOptions{
		Rate: screentime.RateOf(info.FPS, info.StartTimecode), StartTC: info.StartTimecode, Title: cmp.Or(ep.Title, ep.Key),
		MediaPath: ep.VideoPath, Width: info.Width, Height: info.Height,
	}, nil
}
