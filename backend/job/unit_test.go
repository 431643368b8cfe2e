package job

import (
	"testing"
	"time"
)

func TestTransitions(t *testing.T) {
	t.Parallel()
	all := []Status{StatusPending, StatusRunning, StatusOK, StatusError, StatusSkipped, StatusRetrying, StatusCanceled}
	legal := map[[2]Status]bool{
		{StatusPending, StatusRunning}: true, {StatusPending, StatusSkipped}: true, {StatusPending, StatusCanceled}: true,
		{StatusRunning, StatusOK}: true, {StatusRunning, StatusError}: true, {StatusRunning, StatusSkipped}: true,
		{StatusRunning, StatusPending}: true, {StatusRunning, StatusRetrying}: true, {StatusRunning, StatusCanceled}: true,
		{StatusRetrying, StatusRunning}: true, {StatusRetrying, StatusCanceled}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := CanTransition(from, to); got != legal[[2]Status{from, to}] {
				t.Errorf("%s → %s: %v", from, to, got)
			}
			if err := CheckTransition("x", from, to); (err == nil) != legal[[2]Status{from, to}] {
				t.Errorf("CheckTransition %s → %s: %v", from, to, err)
			}
		}
	}
}

func TestNextRetryAt(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	p := RetryPolicy{}
	cases := []struct {
		attempt int
		rnd     float64
		want    time.Duration
	}{
		{1, 1, 5 * time.Second},
		{2, 1, 10 * time.Second},
		{3, 1, 20 * time.Second},
		{3, 0, 10 * time.Second}, // equal jitter: at least half
		{3, 0.5, 15 * time.Second},
		{20, 1, 10 * time.Minute}, // capped
		{2000, 1, 10 * time.Minute},
		{0, 1, 5 * time.Second},
	}
	for _, c := range cases {
		got := NextRetryAt(now, c.attempt, p, func() float64 { return c.rnd }).Sub(now)
		if got != c.want {
			t.Errorf("attempt %d rnd %v: %v, want %v", c.attempt, c.rnd, got, c.want)
		}
	}
	if d := NextRetryAt(now, 1, RetryPolicy{Base: time.Second, Factor: 3, Cap: time.Hour}, nil).Sub(now); d != time.Second {
		t.Errorf("custom base: %v", d)
	}
	if p.Normalized().MaxAttempts != 5 {
		t.Error("default max attempts")
	}
}

func TestETAStates(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

	t.Run("learning then live", func(t *testing.T) {
		e := newETA(t0, 0)
		_, eta, st := e.estimate(sec(0.5), 1, 1000)
		if st != ETALearning || eta != nil {
			t.Fatalf("%s %v", st, eta)
		}
		for i := 1; i <= 3; i++ { // 10 units/s
			e.observe(sec(float64(i)), int64(10*i))
		}
		rate, eta, st := e.estimate(sec(3), 30, 1000)
		if st != ETALive || rate != 10 || eta == nil || *eta != 97 {
			t.Fatalf("%s rate %v eta %v", st, rate, eta)
		}
	})
	t.Run("history before samples", func(t *testing.T) {
		e := newETA(t0, 0)
		e.hist = 20
		rate, eta, st := e.estimate(sec(0.2), 0, 100)
		if st != ETAHistory || rate != 20 || *eta != 5 {
			t.Fatalf("%s %v %v", st, rate, eta)
		}
	})
	t.Run("learning ends at 10 percent", func(t *testing.T) {
		e := newETA(t0, 0)
		e.observe(sec(0.9), 100) // too short to be a sample
		_, eta, st := e.estimate(sec(0.9), 100, 1000)
		if st != ETALive || eta == nil {
			t.Fatalf("%s %v", st, eta)
		}
	})
	t.Run("learning ends at 30 s", func(t *testing.T) {
		e := newETA(t0, 0)
		_, _, st := e.estimate(sec(29), 0, 1000)
		if st != ETALearning {
			t.Fatalf("%s", st)
		}
		rate, eta, st := e.estimate(sec(30), 0, 1000)
		if st != ETALive || rate != 0 || eta != nil {
			t.Fatalf("%s %v %v", st, rate, eta)
		}
	})
	t.Run("ewma smooths", func(t *testing.T) {
		e := newETA(t0, 0)
		e.observe(sec(1), 10)
		e.observe(sec(2), 20)
		e.observe(sec(3), 60) // burst of 40/s
		if e.ewma <= 10 || e.ewma >= 40 {
			t.Fatalf("ewma %v", e.ewma)
		}
	})
}

func TestPeriodsFollowTheStallTimeout(t *testing.T) {
	t.Parallel()
	r := NewRunner(Config{})
	if hb, rs := r.heartbeatEvery(), r.rescueEvery(); hb != 2*time.Second || rs != 5*time.Second {
		t.Errorf("defaults: heartbeat %v, rescue %v", hb, rs)
	}
	r.SetStallAfter(6 * time.Second) // the shortest the Settings panel allows is 5 s
	if hb, rs := r.heartbeatEvery(), r.rescueEvery(); hb != 1500*time.Millisecond || rs != 1500*time.Millisecond {
		t.Errorf("after a 6 s stall timeout: heartbeat %v, rescue %v; want 1.5 s each", hb, rs)
	}
	fixed := NewRunner(Config{HeartbeatEvery: time.Hour, RescueEvery: time.Minute})
	fixed.SetStallAfter(6 * time.Second)
	if hb, rs := fixed.heartbeatEvery(), fixed.rescueEvery(); hb != time.Hour || rs != time.Minute {
		t.Errorf("configured periods changed: heartbeat %v, rescue %v", hb, rs)
	}
}
