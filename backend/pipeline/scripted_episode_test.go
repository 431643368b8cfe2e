package pipeline_test

import (
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"castscope/backend/face"
	"castscope/backend/harvest"
	"castscope/backend/identity"
	"castscope/backend/job"
	"castscope/backend/pipeline"
	"castscope/backend/track"
)

// The scripted episode: 36 s of 960×540 video at 25 fps, made in the test
// from the face photos of testdata/media. Each person's face is cropped
// from a photo (the box found by RetinaFace on the photo, plus a margin)
// and pasted onto a noisy plain background, at scripted frames, positions
// and sizes. Every truth below (who is where, for how long) follows from
// the script, so the whole analysis can be scored against it. The file is
// in package pipeline_test to run the stages through the same engine
// (fixtures, openEngine) as pipeline_test.go.
//
// Sampling limits what any analysis can get right: at 5 fps a stretch on
// screen [a, b) is seen by n samples, and the report gives it n·200 ms
// (half a sample either side of each sample), which differs from b−a by
// less than one sample, and by nothing when a and b are on the sample grid
// (multiples of 5 frames). The half sample before t = 0 is clipped, so a
// stretch from the first frame to a boundary on the grid gets 100 ms less
// (Obama's first shot here; with a boundary off the grid the clip is what
// makes the estimate unbiased). Most boundaries below are on the grid, so
// the tolerance of max(2 %, 0.5 s) per person is far above what sampling
// alone costs (the "samples_s" column of the log is n·200 ms).
const (
	scrW, scrH = 960, 540
	scrFPS     = 25
	scrFrames  = 900 // 36 s
	scrMsPerF  = 1000 / scrFPS
)

// scrPose places a face: the centre of its box and its height, in frame px.
type scrPose struct{ cx, cy, h float64 }

// scrApp is one stretch of a person on screen, frames [from, to), the face
// moving and resizing linearly from pose a (frame from) to b (frame to−1).
type scrApp struct {
	person   string
	photo    string
	from, to int
	a, b     scrPose
}

// scrShot is a shot: it starts at frame from (a hard cut, except the first)
// on a plain background of colour bgr with noise.
type scrShot struct {
	from int
	bgr  [3]float64
}

var scrPeople = []string{"Barack Obama", "Eileen Collins", "Joe Biden", "Grace Hopper"}

var scrShots = []scrShot{
	{0, [3]float64{90, 40, 20}},      // A navy, 0–8 s
	{200, [3]float64{30, 95, 30}},    // B green, 8–14 s
	{350, [3]float64{40, 30, 115}},   // C maroon, 14–22 s
	{550, [3]float64{125, 125, 125}}, // D grey, 22–29 s
	{725, [3]float64{30, 125, 175}},  // E ochre, 29–36 s
}

// scrScript: four people, Obama from three different photos; two faces at
// once in every shot; entries and exits off the sample grid; a gap of 3 s
// (Obama in C) and of 2.4 s (Biden in E); Collins on screen across the cut
// C→D; a 1.4 s stretch with nobody (start of E); faces 64–210 px high.
var scrScript = []scrApp{
	// A (0–8 s): Collins moves in close to Obama.
	{"Barack Obama", "obama_portrait_2012.jpg", 0, 200, scrPose{220, 260, 120}, scrPose{420, 280, 170}},
	{"Eileen Collins", "astronaut_eileen_collins.png", 53, 152, scrPose{860, 200, 90}, scrPose{610, 300, 110}},
	// B (8–14 s): Biden zooms in (×2.1); Hopper, small, runs down the
	// left edge (24 px per sample, over a third of her face's height).
	{"Joe Biden", "biden_blue_room_2010.jpg", 200, 350, scrPose{480, 270, 100}, scrPose{500, 260, 210}},
	{"Grace Hopper", "grace_hopper.jpg", 250, 310, scrPose{140, 110, 66}, scrPose{160, 440, 66}},
	// C (14–22 s): Obama leaves at 17 s and is back at 20 s elsewhere;
	// Collins crosses the frame and stays on through the cut to D.
	{"Barack Obama", "obama_address_2009.jpg", 350, 425, scrPose{250, 260, 130}, scrPose{300, 250, 130}},
	{"Barack Obama", "obama_address_2009.jpg", 500, 550, scrPose{650, 330, 110}, scrPose{610, 330, 115}},
	{"Eileen Collins", "astronaut_eileen_collins.png", 375, 550, scrPose{820, 130, 80}, scrPose{380, 130, 90}},
	// D (22–29 s)
	{"Eileen Collins", "astronaut_eileen_collins.png", 550, 600, scrPose{720, 390, 100}, scrPose{700, 380, 100}},
	{"Grace Hopper", "grace_hopper.jpg", 575, 725, scrPose{300, 270, 180}, scrPose{330, 260, 190}},
	{"Joe Biden", "biden_blue_room_2010.jpg", 600, 675, scrPose{790, 120, 64}, scrPose{760, 110, 64}},
	// E (29–36 s): nobody until 30.4 s.
	{"Barack Obama", "obama_blue_room_2010.jpg", 760, 900, scrPose{200, 320, 90}, scrPose{520, 230, 150}},
	{"Joe Biden", "biden_blue_room_2010.jpg", 765, 815, scrPose{790, 260, 100}, scrPose{780, 270, 100}},
	{"Joe Biden", "biden_blue_room_2010.jpg", 875, 900, scrPose{780, 250, 105}, scrPose{790, 250, 105}},
}

// scrCrop is a face cut out of a photo: the crop and the face box in it.
type scrCrop struct {
	img  gocv.Mat
	face [4]float64 // x1, y1, x2, y2 in crop px
}

// scrPlaced is a face as rendered on one frame.
type scrPlaced struct {
	person int
	patch  image.Rectangle // where the crop lands
	box    [4]float32      // the face box in frame px (the truth)
	app    int
}

func (a scrApp) pose(f int) scrPose {
	u := 0.0
	if a.to-1 > a.from {
		u = float64(f-a.from) / float64(a.to-1-a.from)
	}
	lerp := func(x, y float64) float64 { return x + (y-x)*u }
	return scrPose{lerp(a.a.cx, a.b.cx), lerp(a.a.cy, a.b.cy), lerp(a.a.h, a.b.h)}
}

// scrPlace returns where each visible face is on frame f.
func scrPlace(f int, crops map[string]scrCrop) []scrPlaced {
	var out []scrPlaced
	for i, a := range scrScript {
		if f < a.from || f >= a.to {
			continue
		}
		c := crops[a.photo]
		p := a.pose(f)
		s := p.h / (c.face[3] - c.face[1])
		pw := int(math.Round(float64(c.img.Cols()) * s))
		ph := int(math.Round(float64(c.img.Rows()) * s))
		sx, sy := float64(pw)/float64(c.img.Cols()), float64(ph)/float64(c.img.Rows())
		ox := int(math.Round(p.cx - (c.face[0]+c.face[2])/2*sx))
		oy := int(math.Round(p.cy - (c.face[1]+c.face[3])/2*sy))
		out = append(out, scrPlaced{
			person: slices.Index(scrPeople, a.person),
			patch:  image.Rect(ox, oy, ox+pw, oy+ph),
			box: [4]float32{float32(float64(ox) + c.face[0]*sx), float32(float64(oy) + c.face[1]*sy),
				float32(float64(ox) + c.face[2]*sx), float32(float64(oy) + c.face[3]*sy)},
			app: i,
		})
	}
	return out
}

// scrTruthMs is each person's true screen time: the frames showing them
// times the frame duration (the union of their appearances).
func scrTruthMs() []int64 {
	out := make([]int64, len(scrPeople))
	for f := range scrFrames {
		seen := map[int]bool{}
		for _, a := range scrScript {
			if f >= a.from && f < a.to {
				seen[slices.Index(scrPeople, a.person)] = true
			}
		}
		for p := range seen {
			out[p] += scrMsPerF
		}
	}
	return out
}

// scrNeed fails under CASTSCOPE_REQUIRE_MODELS=1 and skips otherwise.
func scrNeed(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CASTSCOPE_REQUIRE_MODELS") == "1" {
		t.Fatalf("required fixture missing: "+format, args...)
	}
	t.Skipf("fixture missing: "+format, args...)
}

// scrCrops finds the face in each photo of the script with the real
// detector and cuts it out with a margin of 35 % of the box on each side.
func scrCrops(t *testing.T, media, models string) map[string]scrCrop {
	t.Helper()
	rt, err := face.OpenRuntime("")
	if err != nil {
		scrNeed(t, "ONNX Runtime: %v", err)
	}
	detModel, _, err := pipeline.PackModels(models)
	if err != nil {
		t.Fatalf("models: %v", err)
	}
	det, err := face.NewDetector(rt, detModel, face.DetectorConfig{Preset: face.PresetFast}, face.SessionConfig{NoSpinning: true})
	if err != nil {
		t.Fatalf("detector: %v", err)
	}
	defer det.Close()
	crops := map[string]scrCrop{}
	for _, a := range scrScript {
		if _, ok := crops[a.photo]; ok {
			continue
		}
		path := filepath.Join(media, a.photo)
		if _, err := os.Stat(path); err != nil {
			scrNeed(t, "%v", err)
		}
		img := gocv.IMRead(path, gocv.IMReadColor)
		if img.Empty() {
			t.Fatalf("cannot read %s", path)
		}
		fs, err := det.Detect([]gocv.Mat{img})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs[0]) != 1 {
			t.Fatalf("%s: %d faces, want 1 (testdata/media/PROVENANCE.md)", a.photo, len(fs[0]))
		}
		b := fs[0][0].Box
		w, h := float64(b[2]-b[0]), float64(b[3]-b[1])
		r := image.Rect(int(float64(b[0])-0.35*w), int(float64(b[1])-0.35*h), int(float64(b[2])+0.35*w), int(float64(b[3])+0.35*h)).
			Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
		roi := img.Region(r)
		c := scrCrop{img: roi.Clone(), face: [4]float64{float64(b[0]) - float64(r.Min.X), float64(b[1]) - float64(r.Min.Y), float64(b[2]) - float64(r.Min.X), float64(b[3]) - float64(r.Min.Y)}}
		roi.Close()
		img.Close()
		crops[a.photo] = c
		t.Logf("%s: face %.0f×%.0f px at (%.0f, %.0f), crop %v", a.photo, w, h, b[0], b[1], r)
	}
	return crops
}

// scrRender writes the episode to path with OpenCV's MPEG-4 Part 2 encoder
// ("mp4v" in .mp4: validate probes it as mpeg4, the reader seeks in it).
func scrRender(t *testing.T, path string, crops map[string]scrCrop, degrade func(frame *gocv.Mat)) {
	t.Helper()
	vw, err := gocv.VideoWriterFile(path, "mp4v", scrFPS, scrW, scrH, true)
	if err != nil || !vw.IsOpened() {
		t.Fatalf("video writer: %v", err)
	}
	// OpenCV's random generator is per OS thread: draw all the noise on
	// one, seeded here, so each render is the same whatever else runs.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	gocv.SetRNGSeed(20250101)
	bgs := make([]gocv.Mat, len(scrShots))
	for i, s := range scrShots {
		bgs[i] = gocv.NewMatWithSize(scrH, scrW, gocv.MatTypeCV8UC3)
		gocv.RandN(&bgs[i], gocv.NewScalar(s.bgr[0], s.bgr[1], s.bgr[2], 0), gocv.NewScalar(10, 10, 10, 0))
		defer bgs[i].Close()
	}
	frame := gocv.NewMatWithSize(scrH, scrW, gocv.MatTypeCV8UC3)
	defer frame.Close()
	patch := gocv.NewMat()
	defer patch.Close()
	full := image.Rect(0, 0, scrW, scrH)
	shot := 0
	for f := range scrFrames {
		for shot+1 < len(scrShots) && scrShots[shot+1].from <= f {
			shot++
		}
		bgs[shot].CopyTo(&frame)
		for _, p := range scrPlace(f, crops) {
			if !p.patch.In(full) {
				t.Fatalf("script: %s at frame %d is outside the frame (%v)", scrPeople[p.person], f, p.patch)
			}
			c := crops[scrScript[p.app].photo]
			interp := gocv.InterpolationArea
			if p.patch.Dx() > c.img.Cols() {
				interp = gocv.InterpolationLinear
			}
			gocv.Resize(c.img, &patch, p.patch.Size(), 0, 0, interp)
			roi := frame.Region(p.patch)
			patch.CopyTo(&roi)
			roi.Close()
		}
		if degrade != nil {
			degrade(&frame)
		}
		if err := vw.Write(frame); err != nil {
			t.Fatalf("write frame %d: %v", f, err)
		}
	}
	if err := vw.Close(); err != nil {
		t.Fatal(err)
	}
}

// scrVariant is a way to film the script. Every variant must get one pure
// track per appearance, never mix two people in one identity and keep
// every person's screen time within their tolerance; a person may be
// split into at most maxIDs identities.
type scrVariant struct {
	name    string
	degrade func(frame *gocv.Mat) // nil: as rendered
	maxIDs  int                   // identities one person may be split into
	tol     func(truthS float64) float64
	minR    float64 // BCubed recall at least (precision must be 1 always)
}

var scrVariants = []scrVariant{
	{name: "clean", maxIDs: 1, tol: func(s float64) float64 { return max(0.02*s, 0.5) }, minR: 0.95},
	// A soft, flat, noisy picture: Gaussian blur σ 1.6 px (defocus, motion),
	// contrast down to 70 % and lifted (a washed-out grade), and sensor
	// noise σ 12 on every frame. Measured: detection stays whole (0 missed,
	// 1 false positive), but one person's tracks come as low as cosine
	// 0.29 while two people's reach 0.44, so no threshold separates them
	// all: the clustering keeps people apart (precision 1) and splits the
	// two smallest faces (Biden at 64 px, Hopper at 66 px) into a second
	// identity each (recall 0.85). Biden's two identities are 0.47 alike
	// and offered as possibly one person; Hopper's are 0.38 alike, less
	// than her small face and Biden's (0.39), so no threshold could offer
	// hers without offering a wrong pair.
	{name: "degraded", degrade: scrDegrade, maxIDs: 2, tol: func(s float64) float64 { return max(0.05*s, 1.0) }, minR: 0.8},
}

func scrDegrade(frame *gocv.Mat) {
	gocv.GaussianBlur(*frame, frame, image.Pt(0, 0), 1.6, 1.6, gocv.BorderDefault)
	noise := gocv.NewMatWithSize(frame.Rows(), frame.Cols(), gocv.MatTypeCV8UC3)
	defer noise.Close()
	gocv.RandN(&noise, gocv.NewScalar(128, 128, 128, 0), gocv.NewScalar(40, 40, 40, 0))
	gocv.AddWeighted(*frame, 0.7, noise, 0.3, 0, frame)
}

// TestScriptedEpisode runs every stage (validate → analytics) with the real
// models on the scripted episode, clean and degraded, and scores the
// result against the script: screen time per person, identity purity (no
// identity holds two people, each person is one identity), BCubed over
// detections, and segments.parquet against screentime.json.
func TestScriptedEpisode(t *testing.T) {
	media, models := fixtures(t)
	t0 := time.Now()
	crops := scrCrops(t, media, models)
	defer func() {
		for _, c := range crops {
			c.img.Close()
		}
	}()
	t.Logf("crops %.1fs", time.Since(t0).Seconds())
	for _, v := range scrVariants {
		t.Run(v.name, func(t *testing.T) { scrScore(t, v, crops, models) })
	}
}

func scrScore(t *testing.T, v scrVariant, crops map[string]scrCrop, models string) {
	t0 := time.Now()
	clip := filepath.Join(t.TempDir(), "Scripted_S01_E01.mp4")
	scrRender(t, clip, crops, v.degrade)
	renderS := time.Since(t0).Seconds()

	data := t.TempDir()
	e := openEngine(t, data, models, 0)
	defer e.close()
	t1 := time.Now()
	j := e.run(t, clip, pipeline.Order, pipeline.JobSettings{SampleFPS: 5, DetectPreset: "default"})
	pipeS := time.Since(t1).Seconds()
	var timing []string
	for _, s := range j.Stages {
		if s.Status != job.StatusOK {
			t.Fatalf("stage %s ended %s: %+v", s.Name, s.Status, s.Error)
		}
		if s.StartedAt != nil && s.FinishedAt != nil {
			timing = append(timing, fmt.Sprintf("%s %.1fs", s.Name, s.FinishedAt.Sub(*s.StartedAt).Seconds()))
		}
	}
	t.Logf("render %.1fs, pipeline %.1fs (%s)", renderS, pipeS, strings.Join(timing, ", "))

	dir := harvest.Dir(data, j.EpisodeKey)
	dets, err := harvest.ReadAll[harvest.DetectionRow](filepath.Join(dir, "detections.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	tracks, err := harvest.ReadTracks(dir)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := harvest.ReadIdentities(dir, tracks)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := harvest.ReadReport(data, j.EpisodeKey)
	if err != nil {
		t.Fatal(err)
	}

	// Shot cuts: the scripted cuts fall on sampled frames (multiples of 5).
	var cuts harvest.Cuts
	if b, err := os.ReadFile(filepath.Join(dir, "cuts.json")); err != nil || json.Unmarshal(b, &cuts) != nil {
		t.Fatalf("cuts.json: %v", err)
	}
	var wantCuts []int64
	for _, s := range scrShots[1:] {
		wantCuts = append(wantCuts, int64(s.from))
	}
	if !slices.Equal(cuts.Frames, wantCuts) {
		t.Errorf("cuts at frames %v, script cuts at %v", cuts.Frames, wantCuts)
	}

	// Each detection → the scripted face it covers (IoU ≥ 0.4), or −1.
	const minIoU = 0.4
	personOfDet := map[int64]int{}
	placed := map[int64][]scrPlaced{}
	var falsePos []string
	worstIoU := float32(1)
	sampled := map[int64]bool{}
	for _, d := range dets {
		sampled[d.FrameIndex] = true
		ps, ok := placed[d.FrameIndex]
		if !ok {
			ps = scrPlace(int(d.FrameIndex), crops)
			placed[d.FrameIndex] = ps
		}
		box := [4]float32{d.X1, d.Y1, d.X2, d.Y2}
		best, bestIoU := -1, float32(minIoU)
		for _, p := range ps {
			if iou := face.IoU(box, p.box); iou >= bestIoU {
				best, bestIoU = p.person, iou
			}
		}
		personOfDet[d.DetID] = best
		if best >= 0 {
			worstIoU = min(worstIoU, bestIoU)
		}
		if best < 0 {
			falsePos = append(falsePos, fmt.Sprintf("det %d frame %d box %.0f score %.2f", d.DetID, d.FrameIndex, box, d.Score))
		}
	}
	// Missed faces: scripted faces on sampled frames with no detection.
	manifest, err := harvest.ReadAll[harvest.ManifestRow](filepath.Join(dir, "manifest.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	detsOn := map[int64][]int{}
	for _, d := range dets {
		detsOn[d.FrameIndex] = append(detsOn[d.FrameIndex], personOfDet[d.DetID])
	}
	faces, missed := 0, 0
	for _, m := range manifest {
		if !m.Sampled {
			continue
		}
		for _, p := range scrPlace(int(m.FrameIndex), crops) {
			faces++
			if !slices.Contains(detsOn[m.FrameIndex], p.person) {
				missed++
				t.Logf("missed: %s on frame %d (box %.0f)", scrPeople[p.person], m.FrameIndex, p.box)
			}
		}
	}
	t.Logf("detections %d on %d sampled frames: %d scripted faces, %d missed, %d false positives; least IoU with the scripted box %.2f", len(dets), len(sampled), faces, missed, len(falsePos), worstIoU)
	for _, s := range falsePos {
		t.Logf("false positive: %s", s)
	}

	// Tracks → people; identities → people.
	identityOfTrack := map[int64]int64{}
	for _, id := range ids.Identities {
		for _, tid := range id.TrackIDs {
			identityOfTrack[tid] = id.ID
		}
	}
	trackOfDet := map[int64]int64{}
	peopleOfIdentity := map[int64]map[int]int{} // identity → person → detections
	identitiesOfPerson := make([]map[int64]int, len(scrPeople))
	for i := range identitiesOfPerson {
		identitiesOfPerson[i] = map[int64]int{}
	}
	for _, tk := range tracks {
		count := map[int]int{}
		for _, d := range tk.DetIDs {
			trackOfDet[d] = tk.ID
			count[personOfDet[d]]++
		}
		if len(count) > 1 {
			t.Errorf("track %d (frames %d–%d) holds detections of %v (person index → count, −1: no scripted face)", tk.ID, tk.StartFrame, tk.EndFrame, count)
		}
		id := identityOfTrack[tk.ID]
		if id == 0 {
			continue
		}
		if peopleOfIdentity[id] == nil {
			peopleOfIdentity[id] = map[int]int{}
		}
		for p, n := range count {
			peopleOfIdentity[id][p] += n
			if p >= 0 {
				identitiesOfPerson[p][id] += n
			}
		}
	}
	personOfIdentity := map[int64]int{}
	for _, id := range ids.Identities {
		ps := peopleOfIdentity[id.ID]
		if len(ps) != 1 {
			t.Errorf("identity %d (%s) holds %v (person index → detections, −1: no scripted face)", id.ID, id.Label, ps)
		}
		for p := range ps {
			personOfIdentity[id.ID] = p
		}
	}
	for p, m := range identitiesOfPerson {
		if len(m) < 1 || len(m) > v.maxIDs {
			t.Errorf("%s is in %d identities (want 1 to %d): %v (identity → detections)", scrPeople[p], len(m), v.maxIDs, m)
		} else if len(m) > 1 {
			t.Logf("%s is in %d identities: %v (identity → detections)", scrPeople[p], len(m), m)
		}
	}
	// Every appearance lies in one shot and every absence is longer than
	// the tracker bridges (track.DefaultMaxGap samples): one track each,
	// no fragment.
	if len(tracks) != len(scrScript) {
		t.Errorf("%d tracks, the script has %d appearances", len(tracks), len(scrScript))
	}
	// Every identity is one scripted person's (no identity of false
	// positives alone): as many identities as people's splits.
	splits := 0
	for _, m := range identitiesOfPerson {
		splits += len(m)
	}
	if len(ids.Identities) != splits {
		t.Errorf("%d identities, %d of them hold the script's %d people", len(ids.Identities), splits, len(scrPeople))
	}
	// Headroom of the clustering: how far each identified track's embedding
	// is from its identity's centroid, and how near to another's.
	ownCos, otherCos := float32(1), float32(-1)
	byTrack := map[int64]int{}
	for i, tk := range tracks {
		byTrack[tk.ID] = i
	}
	for _, id := range ids.Identities {
		for _, tid := range id.TrackIDs {
			emb := tracks[byTrack[tid]].Embedding
			ownCos = min(ownCos, track.Cosine(emb, id.Centroid))
			for _, o := range ids.Identities {
				if o.ID != id.ID {
					otherCos = max(otherCos, track.Cosine(emb, o.Centroid))
				}
			}
		}
	}
	t.Logf("track vs centroid cosine: own ≥ %.2f, other identities ≤ %.2f (cluster threshold: distance %.2f)", ownCos, otherCos, identity.DefaultThreshold)
	// The same between tracks, by the script's people: the room a
	// threshold has between one person's tracks and two people's.
	personOfTrack := func(tk track.Track) int {
		n := map[int]int{}
		for _, d := range tk.DetIDs {
			n[personOfDet[d]]++
		}
		best, bn := -1, 0
		for p, c := range n {
			if c > bn {
				best, bn = p, c
			}
		}
		return best
	}
	samePerson, twoPeople := float32(1), float32(-1)
	for i := range tracks {
		for k := i + 1; k < len(tracks); k++ {
			c := track.Cosine(tracks[i].Embedding, tracks[k].Embedding)
			if pi, pk := personOfTrack(tracks[i]), personOfTrack(tracks[k]); pi >= 0 && pi == pk {
				samePerson = min(samePerson, c)
			} else if pi >= 0 && pk >= 0 {
				twoPeople = max(twoPeople, c)
			}
		}
	}
	t.Logf("track vs track cosine: one person ≥ %.2f, two people ≤ %.2f", samePerson, twoPeople)

	// BCubed over the detections of scripted faces. A detection's cluster
	// is its identity; one of an unidentified track is alone with its
	// track, one in no track alone.
	type key struct {
		c string
		l int
	}
	nCL, nC, nL := map[key]int{}, map[string]int{}, map[int]int{}
	clusterOf := func(det int64) string {
		tid, ok := trackOfDet[det]
		switch {
		case !ok:
			return fmt.Sprintf("det%d", det)
		case identityOfTrack[tid] == 0:
			return fmt.Sprintf("track%d", tid)
		}
		return fmt.Sprintf("id%d", identityOfTrack[tid])
	}
	var items []key
	for _, d := range dets {
		if p := personOfDet[d.DetID]; p >= 0 {
			k := key{clusterOf(d.DetID), p}
			items = append(items, k)
			nCL[k]++
			nC[k.c]++
			nL[k.l]++
		}
	}
	var bp, br float64
	for _, k := range items {
		bp += float64(nCL[k]) / float64(nC[k.c])
		br += float64(nCL[k]) / float64(nL[k.l])
	}
	bp /= float64(len(items))
	br /= float64(len(items))
	bf := 2 * bp * br / (bp + br)
	t.Logf("BCubed P=%.4f R=%.4f F=%.4f over %d detections of scripted faces (%d tracks, %d identities, %d unidentified tracks)",
		bp, br, bf, len(items), len(tracks), len(ids.Identities), len(ids.Unidentified))
	if bp < 0.999 || br < v.minR {
		t.Errorf("BCubed P=%.4f R=%.4f: want P=1 (no identity mixes people) and R ≥ %.2f", bp, br, v.minR)
	}

	// Identities offered as possibly one person: each pair is one of the
	// script's people, and when the clustering left someone split, at
	// least one split is offered (not all can be: see scrVariants).
	offered := map[int]bool{}
	for i, a := range ids.Identities {
		for _, b := range ids.Identities[i+1:] {
			t.Logf("identities %d (%s) and %d (%s): centroid cosine %.2f", a.ID, scrPeople[personOfIdentity[a.ID]], b.ID, scrPeople[personOfIdentity[b.ID]], track.Cosine(a.Centroid, b.Centroid))
		}
	}
	for _, sg := range identity.Suggest(ids, tracks, identity.SuggestMinCos, 0) {
		pa, pb := personOfIdentity[sg.A], personOfIdentity[sg.B]
		t.Logf("suggested: identity %d (%s) and %d (%s), cosine %.2f", sg.A, scrPeople[pa], sg.B, scrPeople[pb], sg.Similarity)
		if pa != pb {
			t.Errorf("identities %d and %d, two people, offered as one (cosine %.2f)", sg.A, sg.B, sg.Similarity)
		}
		offered[pa] = true
	}
	split := 0
	for _, m := range identitiesOfPerson {
		if len(m) > 1 {
			split++
		}
	}
	if split > 0 && len(offered) == 0 {
		t.Errorf("%d people are split into several identities and none is offered as one person", split)
	}

	// Screen time per person against the script.
	truth := scrTruthMs()
	ideal := make([]int64, len(scrPeople)) // sampled frames showing each person × 200 ms
	for _, m := range manifest {
		if m.Sampled {
			seen := map[int]bool{}
			for _, p := range scrPlace(int(m.FrameIndex), crops) {
				seen[p.person] = true
			}
			for p := range seen {
				ideal[p] += int64(math.Round(rep.SampleIntervalS * 1000))
			}
		}
	}
	got := make([]float64, len(scrPeople))
	label := make([]string, len(scrPeople))
	segs := make([]int, len(scrPeople))
	for _, p := range rep.People {
		if pi, ok := personOfIdentity[p.IdentityID]; ok && pi >= 0 {
			got[pi] += p.ScreenTimeS
			label[pi] = strings.TrimSpace(label[pi] + " " + p.Label)
			segs[pi] += len(p.Segments)
		}
	}
	var tab strings.Builder
	fmt.Fprintf(&tab, "\n%-15s %8s %9s %9s %7s %6s  %-9s %s\n", "person", "truth_s", "samples_s", "report_s", "diff_s", "tol_s", "identity", "segments")
	for p, name := range scrPeople {
		want := float64(truth[p]) / 1000
		tol := v.tol(want)
		diff := got[p] - want
		fmt.Fprintf(&tab, "%-15s %8.3f %9.3f %9.3f %+7.3f %6.3f  %-9s %d\n", name, want, float64(ideal[p])/1000, got[p], diff, tol, label[p], segs[p])
		if math.Abs(diff) > tol {
			t.Errorf("%s: %.3f s on screen in the report, truth %.3f s (tolerance %.3f s)", name, got[p], want, tol)
		}
	}
	fmt.Fprintf(&tab, "%-15s %8s %9s %9.3f", "unidentified", "", "", rep.Unidentified.ScreenTimeS)
	t.Log(tab.String())

	// segments.parquet sums to the report, per identity.
	rows, err := harvest.ReadAll[harvest.SegmentRow](filepath.Join(dir, "segments.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	sum := map[int64]int64{}
	for _, s := range rows {
		if s.EndMs <= s.StartMs {
			t.Errorf("segment %+v is empty or reversed", s)
		}
		sum[s.IdentityID] += s.EndMs - s.StartMs
	}
	for _, p := range rep.People {
		if sum[p.IdentityID] != int64(math.Round(p.ScreenTimeS*1000)) {
			t.Errorf("%s: segments.parquet sums to %d ms, screentime.json says %.3f s", p.Label, sum[p.IdentityID], p.ScreenTimeS)
		}
	}
	if sum[0] != int64(math.Round(rep.Unidentified.ScreenTimeS*1000)) {
		t.Errorf("unidentified: segments.parquet %d ms, screentime.json %.3f s", sum[0], rep.Unidentified.ScreenTimeS)
	}
	t.Logf("wall time %.1fs", time.Since(t0).Seconds())
}
