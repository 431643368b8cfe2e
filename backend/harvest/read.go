package harvest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/identity"
	"castscope/backend/screentime"
	"castscope/backend/track"
)

// Need returns ERR_ARTIFACT_MISSING naming the stage that writes path
// when path does not exist.
func Need(path, stage string) error {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		return nil
	}
	return errs.New(errs.ArtifactMissing, fmt.Sprintf("%s does not exist.", filepath.Base(path)),
		fmt.Sprintf("Run the %s stage first (castscope run VIDEO --stages %s+).", stage, stage))
}

// TrackRowOf is the row of tracks.parquet that stores t.
func TrackRowOf(t track.Track) TrackRow {
	boxes := make([]float32, 0, 4*len(t.Boxes))
	for _, b := range t.Boxes {
		boxes = append(boxes, b[:]...)
	}
	return TrackRow{
		TrackID: t.ID, StartFrame: t.StartFrame, EndFrame: t.EndFrame, StartPTSms: t.StartPTSms, EndPTSms: t.EndPTSms,
		Frames: t.Frames, PTSms: t.PTSms, DetIDs: t.DetIDs, Boxes: boxes, Scores: t.Scores,
		Embedding: t.Embedding, Quality: t.Quality, MeanScore: t.MeanScore, MedianFaceH: t.MedianFaceH,
		Yaws: t.Yaws, NonFace: t.NonFace, Shot: int32(t.Shot), Changed: t.Changed,
	}
}

// Track converts a row of tracks.parquet back into a track.Track.
func (r TrackRow) Track() track.Track {
	t := track.Track{
		ID: r.TrackID, StartFrame: r.StartFrame, EndFrame: r.EndFrame, StartPTSms: r.StartPTSms, EndPTSms: r.EndPTSms,
		Frames: r.Frames, PTSms: r.PTSms, DetIDs: r.DetIDs, Scores: r.Scores,
		Quality: r.Quality, MeanScore: r.MeanScore, MedianFaceH: r.MedianFaceH,
		Yaws: r.Yaws, NonFace: r.NonFace, Shot: int(r.Shot), Changed: r.Changed,
	}
	if len(r.Embedding) > 0 {
		t.Embedding = r.Embedding
	}
	for i := 0; i+3 < len(r.Boxes); i += 4 {
		t.Boxes = append(t.Boxes, [4]float32{r.Boxes[i], r.Boxes[i+1], r.Boxes[i+2], r.Boxes[i+3]})
	}
	return t
}

// ReadTracks reads tracks.parquet of an episode's harvest folder.
func ReadTracks(dir string) ([]track.Track, error) {
	p := filepath.Join(dir, TracksFile)
	if err := Need(p, "track"); err != nil {
		return nil, err
	}
	rows, err := ReadAll[TrackRow](p)
	if err != nil {
		return nil, err
	}
	out := make([]track.Track, len(rows))
	for i, r := range rows {
		out[i] = r.Track()
	}
	return out, nil
}

// TracksDigest names a set of tracks by their ids, frame ranges and sizes:
// identities built from other tracks (track ran since) name others. It
// is read from the tracks themselves, so a data folder copied elsewhere
// keeps it.
func TracksDigest(tracks []track.Track) string {
	rows := make([][4]int64, len(tracks))
	for i, t := range tracks {
		rows[i] = [4]int64{t.ID, t.StartFrame, t.EndFrame, int64(t.Len())}
	}
	b, _ := json.Marshal(rows)
	h := sha256.New()
	h.Write(b)
	h.Write([]byte{0})
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// IdentityRowOf is the row of identities.parquet that stores id.
func IdentityRowOf(id identity.Identity) IdentityRow {
	return IdentityRow{IdentityID: id.ID, Person: id.Person, Name: id.Name, Label: id.Label,
		TrackIDs: id.TrackIDs, Centroid: id.Centroid, Size: int64(id.Size), Detections: int64(id.Detections),
		Locked: id.Locked, FacebankName: id.FacebankName, FacebankScore: id.FacebankScore,
		FacebankMargin: id.FacebankMargin, FacebankFile: id.FacebankFile, Suggestion: suggestionJSON(id.Suggestion)}
}

// Identity converts a row of identities.parquet back into an identity.
func (r IdentityRow) Identity() identity.Identity {
	return identity.Identity{ID: r.IdentityID, Person: r.Person, Name: r.Name, Label: r.Label,
		TrackIDs: r.TrackIDs, Centroid: r.Centroid, Size: int(r.Size), Detections: int(r.Detections),
		Locked: r.Locked, FacebankName: r.FacebankName, FacebankScore: r.FacebankScore,
		FacebankMargin: r.FacebankMargin, FacebankFile: r.FacebankFile, Suggestion: suggestionOf(r.Suggestion)}
}

// suggestionJSON and suggestionOf store an offered name in a row.
func suggestionJSON(c *identity.Candidate) string {
	if c == nil {
		return ""
	}
	b, _ := json.Marshal(c)
	return string(b)
}

func suggestionOf(s string) *identity.Candidate {
	var c identity.Candidate
	if s == "" || json.Unmarshal([]byte(s), &c) != nil {
		return nil
	}
	return &c
}

// ReadIdentities reads identities.parquet back into an identity.Result;
// Unidentified lists the tracks of tracks that no identity holds.
func ReadIdentities(dir string, tracks []track.Track) (identity.Result, error) {
	p := filepath.Join(dir, IdentitiesFile)
	if err := Need(p, "cluster"); err != nil {
		return identity.Result{}, err
	}
	rows, err := ReadAll[IdentityRow](p)
	if err != nil {
		return identity.Result{}, err
	}
	res := identity.Result{Identities: make([]identity.Identity, len(rows))}
	in := map[int64]bool{}
	for i, r := range rows {
		res.Identities[i] = r.Identity()
		for _, t := range r.TrackIDs {
			in[t] = true
		}
	}
	for _, t := range tracks {
		if !in[t.ID] {
			res.Unidentified = append(res.Unidentified, t.ID)
		}
	}
	slices.Sort(res.Unidentified)
	return res, nil
}

// IdentitiesMetrics is identities_metrics.json.
type IdentitiesMetrics struct {
	identity.Metrics
	Threshold    float64 `json:"threshold"`
	MinTrackLen  int     `json:"min_track_len"`
	MinFaceH     float32 `json:"min_face_h"`
	CurationOps  int     `json:"curation_ops"`
	Unidentified []int64 `json:"unidentified"` // track ids in no identity
	// Applied is identity.CurationState of the log and cast list this run
	// used.
	Applied string `json:"applied"`
	// Tracks is the TracksDigest of the tracks this run clustered.
	Tracks string `json:"tracks,omitempty"`
}

// ReadIdentitiesMetrics reads identities_metrics.json.
func ReadIdentitiesMetrics(dir string) (IdentitiesMetrics, error) {
	var m IdentitiesMetrics
	p := filepath.Join(dir, IdentitiesMetricsFile)
	if err := Need(p, "cluster"); err != nil {
		return m, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return m, errs.FS(err, p)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, errs.Wrap(errs.ArtifactMissing, err, fmt.Sprintf("%s cannot be read.", IdentitiesMetricsFile), "Run the cluster stage again.")
	}
	return m, nil
}

// ReadReport reads an episode's screentime.json; absent, it is
// ERR_ARTIFACT_MISSING with a hint to run analytics.
func ReadReport(dataDir, key string) (screentime.Report, error) {
	if err := episode.ValidateKey(key); err != nil {
		return screentime.Report{}, err
	}
	p := filepath.Join(Dir(dataDir, key), ScreentimeJSONFile)
	f, err := os.Open(p)
	if os.IsNotExist(err) {
		return screentime.Report{}, errs.New(errs.ArtifactMissing, fmt.Sprintf("Episode %s has no screen-time report (%s).", key, ScreentimeJSONFile),
			"Run the analytics stage first (castscope run VIDEO --stages analytics).")
	}
	if err != nil {
		return screentime.Report{}, errs.FS(err, p)
	}
	defer f.Close()
	rep, err := screentime.ReadJSON(f)
	if err != nil {
		return screentime.Report{}, errs.Wrap(errs.ArtifactMissing, err, fmt.Sprintf("%s of episode %s cannot be read.", ScreentimeJSONFile, key), "Run the analytics stage again.")
	}
	return rep, nil
}

// Cuts is cuts.json: the shot changes found on the sampled frames.
type Cuts struct {
	Frames     []int64 `json:"frames"` // first sampled frame of each new shot
	PTSms      []int64 `json:"pts_ms"`
	Method     string  `json:"method"`
	Threshold  float64 `json:"threshold"`
	FramesRead int     `json:"frames_read"`
	DecodeS    float64 `json:"decode_s"`
}

// ReadCuts reads cuts.json (ERR_ARTIFACT_MISSING before the track stage
// has run).
func ReadCuts(dir string) (Cuts, error) {
	var c Cuts
	p := filepath.Join(dir, CutsFile)
	if err := Need(p, "track"); err != nil {
		return c, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return c, errs.FS(err, p)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, errs.Wrap(errs.ArtifactMissing, err, fmt.Sprintf("%s cannot be read.", CutsFile), "Run the track stage again.")
	}
	return c, nil
}
