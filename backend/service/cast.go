package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/harvest"
	"castscope/backend/identity"
	"castscope/backend/job"
	"castscope/backend/screentime"
	"castscope/backend/track"
	"castscope/backend/video"
)

// CastView is the Cast view of one episode: its identities with their
// screen time, the tracks to review first, the curation state and the
// show's cast list.
type CastView struct {
	EpisodeKey   string           `json:"episode_key"`
	Show         string           `json:"show"`
	Ready        bool             `json:"ready"` // cluster has run
	People       []CastPerson     `json:"people"`
	Unidentified CastUnidentified `json:"unidentified"`
	Review       []ReviewItem     `json:"review"`
	// Suggestions are people who may be one person, most alike first.
	Suggestions []MergeSuggestion `json:"suggestions"`
	CanUndo     bool              `json:"can_undo"`
	LastOp      string            `json:"last_op"`
	Ops         int               `json:"ops"`
	Pending     bool              `json:"pending"` // the identities do not show the latest curation yet
	// ReclusterJob is the job of the episode, queued or running, that
	// brings a pending view up to date; "" when none runs.
	ReclusterJob string `json:"recluster_job,omitempty"`
	// ReclusterError is why the latest job of a pending view failed (then
	// nothing catches it up: the user re-runs or undoes).
	ReclusterError *job.StageError `json:"recluster_error,omitempty"`
	// CatchUp says a pending view has nothing bringing it up to date: no
	// job of the episode runs and the latest did not fail. Reading the
	// view never queues work; its reader asks for CatchUp, an explicit
	// action (the Cast view does so once on seeing the flag).
	CatchUp  bool                `json:"catch_up"`
	Facebank []identity.Headshot `json:"facebank"`
}

// CastPerson is one identity card.
type CastPerson struct {
	IdentityID    int64   `json:"identity_id"`
	Person        string  `json:"person"`
	Label         string  `json:"label"`
	Name          string  `json:"name"`
	Locked        bool    `json:"locked"`
	Tracks        int     `json:"tracks"`
	Detections    int     `json:"detections"`
	TrackIDs      []int64 `json:"track_ids"`
	ScreenTimeS   float64 `json:"screen_time_s"`
	MarginS       float64 `json:"margin_s"`
	Share         float64 `json:"share"`
	Appearances   int     `json:"appearances"`
	FirstS        float64 `json:"first_s"`
	LastS         float64 `json:"last_s"`
	FacebankName  string  `json:"facebank_name"`
	FacebankScore float32 `json:"facebank_score"`
	// FacebankReason says why the cast list gave the name: which photo,
	// its score and the margin over the next name and the next face.
	FacebankReason string `json:"facebank_reason"`
	// Suggestion is a name below the naming bar, offered for one click.
	Suggestion *identity.Candidate `json:"suggestion"`
	// ProfileS is the part of ScreenTimeS seen only in profile faces
	// (screentime.Person.ProfileS).
	ProfileS   float64 `json:"profile_s"`
	ThumbTrack int64   `json:"thumb_track"`
}

// CastUnidentified sums the faces in no identity.
type CastUnidentified struct {
	Tracks      int     `json:"tracks"`
	ScreenTimeS float64 `json:"screen_time_s"`
}

// ReviewItem is a track whose identity is least certain.
type ReviewItem struct {
	TrackID    int64   `json:"track_id"`
	IdentityID int64   `json:"identity_id"`
	Label      string  `json:"label"`
	OtherID    int64   `json:"other_id"`
	OtherLabel string  `json:"other_label"`
	Margin     float32 `json:"margin"`
	StartS     float64 `json:"start_s"`
	EndS       float64 `json:"end_s"`
}

// MergeSuggestion is two people who may be one (identity.Suggest): the
// other would be merged into the first, the one with more faces.
type MergeSuggestion struct {
	IdentityID int64   `json:"identity_id"`
	Label      string  `json:"label"`
	OtherID    int64   `json:"other_id"`
	OtherLabel string  `json:"other_label"`
	Similarity float32 `json:"similarity"` // cosine of their centroids
}

// suggestLimit is how many possible duplicates the Cast view offers.
const suggestLimit = 5

// reviewLimit is how many tracks the Cast view offers for review.
const reviewLimit = 24

// castData is what the Cast operations read: tracks and identities of
// the last cluster run.
type castData struct {
	dir    string
	tracks []track.Track
	ids    identity.Result
}

func (b *Backend) castData(key string) (castData, error) {
	if err := episode.ValidateKey(key); err != nil {
		return castData{}, err
	}
	d := castData{dir: harvest.Dir(b.DataDir, key)}
	var err error
	if d.tracks, err = harvest.ReadTracks(d.dir); err != nil {
		return d, err
	}
	d.ids, err = harvest.ReadIdentities(d.dir, d.tracks)
	return d, err
}

// trackIndex maps track ids to the tracks.
func (d castData) trackIndex() map[int64]*track.Track {
	m := make(map[int64]*track.Track, len(d.tracks))
	for i := range d.tracks {
		m[d.tracks[i].ID] = &d.tracks[i]
	}
	return m
}

func (d castData) identity(id int64) (identity.Identity, error) {
	for _, x := range d.ids.Identities {
		if x.ID == id {
			return x, nil
		}
	}
	return identity.Identity{}, errs.New(errs.Usage, fmt.Sprintf("There is no person %d in this episode any more.", id), "Reload the Cast view and try again.")
}

// Cast returns the Cast view of episode key. Before cluster has run it is
// an empty view with Ready false, not an error. It only reads: a pending
// view says what brings it up to date (ReclusterJob), why nothing does
// (ReclusterError) or that the reader should ask for CatchUp.
func (b *Backend) Cast(ctx context.Context, key string) (CastView, error) {
	ep, err := b.store.Episode(ctx, key)
	if err != nil {
		return CastView{}, err
	}
	v := CastView{EpisodeKey: key, Show: episode.ShowOf(key), People: []CastPerson{}, Review: []ReviewItem{}, Suggestions: []MergeSuggestion{}}
	ops, err := b.store.Curation(ctx, key)
	if err != nil {
		return v, err
	}
	hs, err := b.store.Headshots(ctx, v.Show)
	if err != nil {
		return v, err
	}
	v.Facebank = nonNilSlice(hs)
	v.Ops, v.CanUndo = len(ops), len(ops) > 0
	v.LastOp = identity.DescribeStep(ops)
	// A re-cluster that failed (or is running) clears the clustered flag
	// but leaves the last identities in place: they are shown, pending,
	// as long as they were built from the tracks there are now. Identities
	// of tracks that track has replaced since are not shown.
	d, err := b.castData(key)
	if errs.CodeOf(err) == errs.ArtifactMissing {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	if v.Ready, v.Pending = d.state(ep.States["clustered"], ops, hs); !v.Ready {
		return v, nil
	}
	if v.Pending {
		if v.ReclusterJob, v.ReclusterError, err = b.catchUp(ctx, key, false); err != nil {
			return v, err
		}
		v.CatchUp = v.ReclusterJob == "" && v.ReclusterError == nil
	}
	rep, rerr := harvest.ReadReport(b.DataDir, key)
	people := map[int64]screentime.Person{}
	if rerr == nil {
		for _, p := range rep.People {
			people[p.IdentityID] = p
		}
		v.Unidentified.ScreenTimeS = rep.Unidentified.ScreenTimeS
	}
	v.Unidentified.Tracks = len(d.ids.Unidentified)
	byTrack := d.trackIndex()
	labels := map[int64]string{}
	for _, id := range d.ids.Identities {
		labels[id.ID] = id.Label
		p := people[id.ID]
		v.People = append(v.People, CastPerson{
			IdentityID: id.ID, Person: id.Person, Label: id.Label, Name: id.Name, Locked: id.Locked,
			Tracks: id.Size, Detections: id.Detections, TrackIDs: nonNilSlice(id.TrackIDs),
			ScreenTimeS: p.ScreenTimeS, MarginS: p.MarginS, Share: p.Share, Appearances: p.Appearances,
			FirstS: p.FirstS, LastS: p.LastS, FacebankName: id.FacebankName, FacebankScore: id.FacebankScore,
			FacebankReason: id.FacebankReason(), Suggestion: id.Suggestion,
			ProfileS:   p.ProfileS,
			ThumbTrack: identity.BestTrack(id.TrackIDs, byTrack),
		})
	}
	slices.SortStableFunc(v.People, func(a, b CastPerson) int {
		return cmp.Or(cmp.Compare(b.ScreenTimeS, a.ScreenTimeS), cmp.Compare(b.Detections, a.Detections), cmp.Compare(a.IdentityID, b.IdentityID))
	})
	for _, sg := range identity.Suggest(d.ids, d.tracks, identity.SuggestMinCos, suggestLimit) {
		v.Suggestions = append(v.Suggestions, MergeSuggestion{IdentityID: sg.A, Label: labels[sg.A], OtherID: sg.B, OtherLabel: labels[sg.B], Similarity: sg.Similarity})
	}
	settled := identity.Decided(identity.Rebind(ops, d.tracks), d.ids)
	for _, r := range identity.ReviewOrder(d.ids, d.tracks, 0) {
		if settled[r.TrackID] {
			continue
		}
		if len(v.Review) == reviewLimit {
			break
		}
		t := byTrack[r.TrackID]
		v.Review = append(v.Review, ReviewItem{TrackID: r.TrackID, IdentityID: r.IdentityID, Label: labels[r.IdentityID],
			OtherID: r.OtherID, OtherLabel: labels[r.OtherID], Margin: r.Margin,
			StartS: float64(t.StartPTSms) / 1000, EndS: float64(t.EndPTSms) / 1000})
	}
	return v, nil
}

// state says whether d's identities can be shown (ready) and whether they
// lag behind the curation log ops and the cast list hs (pending). clustered
// is the registry flag: a cluster run under way or failed lowers it and
// leaves the last identities, shown (pending) while they were built from
// d's tracks. Identities of tracks that track has replaced since are not
// shown; metrics written before they named their tracks go by the flag.
func (d castData) state(clustered bool, ops []identity.Op, hs []identity.Headshot) (ready, pending bool) {
	m, err := harvest.ReadIdentitiesMetrics(d.dir)
	ours := err == nil && m.Tracks != "" && m.Tracks == harvest.TracksDigest(d.tracks)
	if (err == nil && m.Tracks != "" && !ours) || (!clustered && !ours) {
		return false, false
	}
	return true, !clustered || !applied(m, err, ops, hs)
}

// applied reports whether identities metrics m (read with error err) show
// the curation log ops and the cast list hs.
func applied(m harvest.IdentitiesMetrics, err error, ops []identity.Op, hs []identity.Headshot) bool {
	return err == nil && m.Applied == identity.CurationState(ops, identity.FacebankRefs(hs))
}

// CurateRequest is one curation action of the Cast view.
type CurateRequest struct {
	Kind       string  `json:"kind"` // rename | merge | split | move | confirm | not_this | lock | unlock
	IdentityID int64   `json:"identity_id"`
	Others     []int64 `json:"others,omitempty"`
	TrackIDs   []int64 `json:"track_ids,omitempty"`
	Name       string  `json:"name,omitempty"`
}

// Curate appends the request to the episode's curation log and makes sure
// cluster and analytics run again; it returns the job that will (or the
// job already running for the episode, after which the Cast view asks
// again). A merge of several people is one operation per person, written
// together as one undo step.
func (b *Backend) Curate(ctx context.Context, key string, req CurateRequest) (string, error) {
	ep, err := b.store.Episode(ctx, key)
	if err != nil {
		return "", err
	}
	d, err := b.castData(key)
	if err != nil {
		return "", err
	}
	ops, err := b.store.Curation(ctx, key)
	if err != nil {
		return "", err
	}
	hs, err := b.store.Headshots(ctx, episode.ShowOf(key))
	if err != nil {
		return "", err
	}
	// An action is made on the identities the user sees; while they lag
	// behind the log, what the user saw is not what the action would
	// anchor to. A cluster run that is under way or failed counts too.
	if ready, pending := d.state(ep.States["clustered"], ops, hs); !ready || pending {
		if _, failed, err := b.catchUp(ctx, key, true); err != nil {
			return "", err
		} else if failed != nil {
			return "", failedRun(failed)
		}
		return "", errs.New(errs.Usage, "Your previous change is still being applied.", "Wait until the Cast view refreshes (a second or two), then try again.")
	}
	// New operations record what their tracks look like (anchors); the
	// log is rebound to the current tracks so a person's key is reused.
	l := identity.Log{Ops: identity.Rebind(ops, d.tracks), Tracks: d.tracks}
	var add []identity.Op
	target := func() (identity.Identity, error) { return d.identity(req.IdentityID) }
	needTracks := func(of *identity.Identity) error {
		if len(req.TrackIDs) == 0 {
			return errs.New(errs.Usage, "Choose at least one track.", "Select the tracks first.")
		}
		for _, t := range req.TrackIDs {
			if of != nil && !slices.Contains(of.TrackIDs, t) {
				return errs.New(errs.Usage, fmt.Sprintf("Track %d is not one of %s's.", t, of.Label), "Reload the Cast view and try again.")
			}
			if !slices.ContainsFunc(d.tracks, func(x track.Track) bool { return x.ID == t }) {
				return errs.New(errs.Usage, fmt.Sprintf("There is no track %d in this episode.", t), "Reload the Cast view and try again.")
			}
		}
		return nil
	}
	switch req.Kind {
	case "rename":
		id, err := target()
		if err != nil {
			return "", err
		}
		name := strings.TrimSpace(req.Name)
		if name == "" {
			return "", errs.New(errs.Usage, "A name cannot be empty.", "Type the person's name.")
		}
		add = append(add, l.Rename(id, name))
	case "merge":
		into, err := target()
		if err != nil {
			return "", err
		}
		if len(req.Others) == 0 {
			return "", errs.New(errs.Usage, "Choose the people to merge.", "Select two or more people, then Merge.")
		}
		for _, o := range req.Others {
			if o == into.ID {
				continue
			}
			from, err := d.identity(o)
			if err != nil {
				return "", err
			}
			add = append(add, l.Merge(into, from))
		}
		if len(add) == 0 {
			return "", errs.New(errs.Usage, fmt.Sprintf("Nothing to merge: only %s was chosen.", into.Label), "Choose another person to merge into this one.")
		}
	case "split":
		// Tracks of any person (or unidentified) become a new person.
		if err := needTracks(nil); err != nil {
			return "", err
		}
		add = append(add, l.Split(req.TrackIDs, strings.TrimSpace(req.Name)))
	case "move":
		to, err := target()
		if err != nil {
			return "", err
		}
		if err := needTracks(nil); err != nil {
			return "", err
		}
		add = append(add, l.Move(req.TrackIDs, to))
	case "confirm":
		// The user says these tracks are this person's: anchored to it
		// through every re-cluster, and out of the review list.
		id, err := target()
		if err != nil {
			return "", err
		}
		if err := needTracks(&id); err != nil {
			return "", err
		}
		add = append(add, l.Move(req.TrackIDs, id))
	case "not_this":
		from, err := target()
		if err != nil {
			return "", err
		}
		if err := needTracks(&from); err != nil {
			return "", err
		}
		add = append(add, l.NotThisPerson(from, req.TrackIDs))
	case "lock", "unlock":
		id, err := target()
		if err != nil {
			return "", err
		}
		if req.Kind == "lock" {
			add = append(add, l.Lock(id))
		} else {
			add = append(add, l.Unlock(id))
		}
	default:
		return "", errs.New(errs.Usage, fmt.Sprintf("Unknown curation %q.", req.Kind), "Use rename, merge, split, move, confirm, not_this, lock or unlock.")
	}
	if _, err := b.store.AppendCuration(ctx, key, add...); err != nil {
		return "", err
	}
	if name := strings.TrimSpace(req.Name); req.Kind == "rename" && identity.OnCastList(hs, name) {
		if id, err := target(); err == nil {
			b.learnFaces(ctx, key, id, name, d)
		}
	}
	return b.Recluster(ctx, key)
}

// forgetFaces removes from the show's cast list the faces a rename of
// episode key to name added (learnFaces), when that rename is undone.
func (b *Backend) forgetFaces(ctx context.Context, key, name string) error {
	hs, err := b.store.Headshots(ctx, episode.ShowOf(key))
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.Name == name && identity.IsLearnedFile(key, h.File) {
			if err := b.store.RemoveHeadshot(ctx, h.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// learnFaces adds the best faces of a person the user confirmed as a
// member of the show's cast list to that list, under the name: the best
// frontal track and the best profile track (identity.FacesToLearn), so the next episode of the
// season is named from this episode's faces too, profiles included. Each
// entry says where it came from; it can be renamed or removed like any
// photo. Failing to add one is logged, never the rename's failure.
func (b *Backend) learnFaces(ctx context.Context, key string, id identity.Identity, name string, d castData) {
	frontal, profile := identity.FacesToLearn(id, d.trackIndex())
	show := episode.ShowOf(key)
	for _, c := range []struct {
		t    *track.Track
		pose string
	}{{frontal, "frontal"}, {profile, "profile"}} {
		if c.t == nil {
			continue
		}
		emb := c.t.Embedding
		sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%v", key, c.t.ID, emb))
		h := identity.Headshot{Show: show, Name: name, SHA256: hex.EncodeToString(sum[:]), Embedding: emb,
			File: identity.LearnedFile(key, c.t.ID, c.pose)}
		if _, err := b.store.AddHeadshot(ctx, h); err != nil {
			b.Log.Slog().Info("confirmed face not added to the cast list", "show", show, "name", name, "track", c.t.ID, "error", err)
		}
	}
}

// UndoCuration takes back the newest curation operation of key and runs
// cluster and analytics again.
func (b *Backend) UndoCuration(ctx context.Context, key string) (string, error) {
	if _, err := b.store.Episode(ctx, key); err != nil {
		return "", err
	}
	undone, err := b.store.UndoCuration(ctx, key)
	if err != nil {
		return "", err
	}
	if len(undone) == 0 {
		return "", errs.New(errs.Usage, "Nothing to undo.", "The curation log of this episode is empty.")
	}
	for _, op := range undone {
		if op.Kind == identity.OpRename {
			if err := b.forgetFaces(ctx, key, op.Name); err != nil {
				return "", err
			}
		}
	}
	return b.Recluster(ctx, key)
}

// Recluster queues cluster → analytics for key, unless a job of the
// episode is still running (returned instead): two jobs must not write one
// episode's identities at once. The Cast view asks for the state when that
// job ends, sees Pending and calls Recluster again.
func (b *Backend) Recluster(ctx context.Context, key string) (string, error) {
	j, _, err := b.Run(ctx, key, []string{"cluster+"}, RunOverrides{}) // Run follows a running job
	return j.ID, err
}

// CatchUp brings key's identities up to date with its curation log and
// its show's cast list — the explicit action behind a Cast view's CatchUp
// flag, and what the command line does before a curation. It returns the
// job that does it: the episode's job already queued or running, or a
// cluster → analytics it queues; "" when the identities are current or
// there are none yet. After a failed run it queues nothing and returns
// that failure: it is the user's to see (and re-run or undo), not to
// repeat on every refresh.
func (b *Backend) CatchUp(ctx context.Context, key string) (string, error) {
	ep, err := b.store.Episode(ctx, key)
	if err != nil {
		return "", err
	}
	d, err := b.castData(key)
	if errs.CodeOf(err) == errs.ArtifactMissing {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	ops, err := b.store.Curation(ctx, key)
	if err != nil {
		return "", err
	}
	hs, err := b.store.Headshots(ctx, episode.ShowOf(key))
	if err != nil {
		return "", err
	}
	if ready, pending := d.state(ep.States["clustered"], ops, hs); !ready || !pending {
		return "", nil
	}
	id, failed, err := b.catchUp(ctx, key, true)
	if err == nil && failed != nil {
		err = failedRun(failed)
	}
	return id, err
}

// catchUp is the one catch-up rule, for identities that lag behind: after
// a failed latest job, nothing (failed says why); else the episode's job
// queued or running; else, when queue is set, a new cluster → analytics
// (Recluster), otherwise "".
func (b *Backend) catchUp(ctx context.Context, key string, queue bool) (jobID string, failed *job.StageError, err error) {
	if failed, err = b.latestFailure(ctx, key); err != nil || failed != nil {
		return "", failed, err
	}
	j, ok, err := b.activeJob(ctx, key)
	switch {
	case err != nil:
		return "", nil, err
	case ok:
		return j.ID, nil, nil
	case queue:
		jobID, err = b.Recluster(ctx, key)
		return jobID, nil, err
	}
	return "", nil, nil
}

// failedRun is the error an action that needs current identities gets
// after the run that would have made them failed.
func failedRun(failed *job.StageError) error {
	return errs.New(errs.Code(failed.Code), "The last run failed: "+failed.Message, "Re-run cluster or Undo, then try again.")
}

// latestFailure is the error of the failed stage of key's latest job, if
// that job has ended with one.
func (b *Backend) latestFailure(ctx context.Context, key string) (*job.StageError, error) {
	jobs, err := b.store.Jobs(ctx, key)
	if err != nil || len(jobs) == 0 || jobs[0].FinishedAt == nil {
		return nil, err
	}
	for _, st := range jobs[0].Stages {
		if st.Status == job.StatusError {
			return cmp.Or(st.Error, &job.StageError{Code: string(errs.Internal), Message: "The stage " + st.Name + " failed."}), nil
		}
	}
	return nil, nil
}

func (b *Backend) activeJob(ctx context.Context, key string) (job.Job, bool, error) {
	jobs, err := b.store.ActiveJobs(ctx)
	if err != nil {
		return job.Job{}, false, err
	}
	for _, j := range jobs {
		if j.EpisodeKey == key {
			return j, true, nil
		}
	}
	return job.Job{}, false, nil
}

// thumbSize is the side of a face thumbnail, in pixels.
const thumbSize = 112

// FaceThumbs returns a JPEG data URL per track id: the face of the
// track's best detection, cached under data/harvest/{key}/faces/. Tracks
// unknown or whose frame cannot be decoded are left out.
func (b *Backend) FaceThumbs(ctx context.Context, key string, trackIDs []int64) (map[string]string, error) {
	ep, err := b.store.Episode(ctx, key)
	if err != nil {
		return nil, err
	}
	d, err := b.castData(key)
	if err != nil {
		return nil, err
	}
	byTrack := d.trackIndex()
	var want []video.Crop
	var ids []int64
	for _, id := range trackIDs {
		t := byTrack[id]
		if t == nil || len(t.Boxes) == 0 {
			continue
		}
		i := t.BestDetection()
		want = append(want, video.Crop{Index: t.Frames[i], Box: t.Boxes[i]})
		ids = append(ids, id)
	}
	out := map[string]string{}
	crops, err := video.CachedCrops(ep.VideoPath, filepath.Join(d.dir, "faces"), want, thumbSize)
	for i, c := range crops {
		if c != nil {
			out[strconv.FormatInt(ids[i], 10)] = dataURL(c)
		}
	}
	return out, err
}

func dataURL(jpeg []byte) string {
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpeg)
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
