package job

import "time"

// ETA tuning.
const (
	etaSampleEvery  = time.Second // a rate sample spans at least this long
	etaAlpha        = 0.3         // EWMA weight of the newest sample
	etaMinSamples   = 3           // samples before the live rate is trusted
	learnMaxTime    = 30 * time.Second
	learnMaxPercent = 10
)

// ETA states.
const (
	ETALearning = "learning"
	ETALive     = "live"
	ETAHistory  = "history"
)

// etaTracker turns progress observations into a smoothed rate and an ETA.
// Not safe for concurrent use (the stage run's mutex guards it).
type etaTracker struct {
	start     time.Time
	startDone int64
	lastT     time.Time
	lastDone  int64
	ewma      float64
	samples   int
	hist      float64 // rate remembered from earlier runs (0: none)
}

func newETA(now time.Time, done int64) etaTracker {
	return etaTracker{start: now, startDone: done, lastT: now, lastDone: done}
}

func (e *etaTracker) observe(now time.Time, done int64) {
	dt := now.Sub(e.lastT)
	if dt < etaSampleEvery {
		return
	}
	inst := float64(done-e.lastDone) / dt.Seconds()
	if inst < 0 {
		inst = 0
	}
	if e.samples == 0 {
		e.ewma = inst
	} else {
		e.ewma = etaAlpha*inst + (1-etaAlpha)*e.ewma
	}
	e.samples++
	e.lastT, e.lastDone = now, done
}

// estimate returns the rate (units/s), the seconds left (nil: unknown) and
// the state: live once enough samples exist; else history when an earlier
// run's rate is known; else learning — but never past the first 10 % of
// the work or 30 s, after which the average rate so far is used (live).
func (e *etaTracker) estimate(now time.Time, done, total int64) (float64, *float64, string) {
	left := float64(total - done)
	eta := func(rate float64) *float64 {
		if rate <= 0 || total <= 0 {
			return nil
		}
		v := max(left, 0) / rate
		return &v
	}
	switch {
	case e.samples >= etaMinSamples:
		return e.ewma, eta(e.ewma), ETALive
	case e.hist > 0:
		return e.hist, eta(e.hist), ETAHistory
	}
	elapsed := now.Sub(e.start)
	if elapsed >= learnMaxTime || (total > 0 && done*100 >= total*learnMaxPercent) {
		rate := e.ewma
		if elapsed > 0 {
			rate = float64(done-e.startDone) / elapsed.Seconds()
		}
		return rate, eta(rate), ETALive
	}
	return e.ewma, nil, ETALearning
}

// ETA is the runner's ETA estimator for a driver that observes progress
// from elsewhere (package remote follows a Temporal activity's heartbeat
// details with it), so remote stages show the same rate, ETA and states.
type ETA struct{ t etaTracker }

// NewETA starts an estimate at done units, with hist the rate remembered
// from earlier runs (0: none).
func NewETA(now time.Time, done int64, hist float64) *ETA {
	e := &ETA{t: newETA(now, done)}
	e.t.hist = hist
	return e
}

// Observe records that done units were done at now.
func (e *ETA) Observe(now time.Time, done int64) { e.t.observe(now, done) }

// Estimate returns the rate (units/s), the seconds left (nil: unknown) and
// the ETA state (learning, live, history).
func (e *ETA) Estimate(now time.Time, done, total int64) (float64, *float64, string) {
	return e.t.estimate(now, done, total)
}
