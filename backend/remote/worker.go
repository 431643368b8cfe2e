package remote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"castscope/backend/errs"
)

// Queue choices of a worker.
const (
	ServeCPU = "cpu"
	ServeGPU = "gpu"
	ServeAll = "all"
)

// WorkerOptions configure RunWorker.
type WorkerOptions struct {
	HostPort  string
	Namespace string
	Serve     string   // cpu | gpu | all
	Stages    []string // every stage name, in order
	Build     Build
	// Checkpoints make SaveCheckpoint durable (nil: heartbeat details only).
	Checkpoints Checkpoints
	Identity    string       // shown in Temporal and in the stage records ("" → the SDK's pid@host)
	Log         *slog.Logger // the worker's log (stage lines, SDK warnings)
	// ThrottleHeartbeats is the most often the SDK sends a heartbeat
	// (0 → 1 s): the submitter's progress is as fresh as this.
	ThrottleHeartbeats time.Duration
	// Started, when set, is called once the worker polls its queues.
	Started func(queues []string)
}

// Dial connects to a Temporal server; an unreachable one is
// ERR_REMOTE_UNAVAILABLE.
func Dial(ctx context.Context, hostPort, namespace string, log *slog.Logger) (client.Client, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	quiet := slog.New(levelFilter{log.Handler(), slog.LevelWarn})
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := client.DialContext(dctx, client.Options{HostPort: hostPort, Namespace: namespace, Logger: tlog.NewStructuredLogger(quiet)})
	if err != nil {
		return nil, errs.Wrap(errs.RemoteUnavailable, err, fmt.Sprintf("Cannot reach the Temporal server at %s (namespace %s).", hostPort, namespace),
			"Check the address, that the server runs and that this machine can reach it; or run on this computer.")
	}
	return c, nil
}

// RunWorker serves the episode workflow and the stages of its queues until
// ctx ends.
func RunWorker(ctx context.Context, o WorkerOptions) error {
	var cpu, gpu bool
	switch o.Serve {
	case ServeCPU:
		cpu = true
	case ServeGPU:
		gpu = true
	case ServeAll, "":
		cpu, gpu = true, true
	default:
		return errs.New(errs.Usage, fmt.Sprintf("There is no queue %q.", o.Serve), "Use --queue cpu, gpu or all.")
	}
	c, err := Dial(ctx, o.HostPort, o.Namespace, o.Log)
	if err != nil {
		return err
	}
	defer c.Close()
	throttle := o.ThrottleHeartbeats
	if throttle <= 0 {
		throttle = time.Second
	}
	acts := &activities{build: o.Build, cps: o.Checkpoints, identity: o.Identity, log: o.Log}
	opts := func(concurrent int) worker.Options {
		return worker.Options{Identity: o.Identity, MaxHeartbeatThrottleInterval: throttle, DefaultHeartbeatThrottleInterval: throttle,
			MaxConcurrentActivityExecutionSize: concurrent}
	}
	wf := worker.New(c, QueueWorkflows, opts(0))
	wf.RegisterWorkflowWithOptions(EpisodeWorkflow, workflow.RegisterOptions{Name: WorkflowName})
	workers := []worker.Worker{wf}
	queues := []string{QueueWorkflows}
	add := func(queue string, concurrent int, want func(stage string) bool) {
		w := worker.New(c, queue, opts(concurrent))
		for _, s := range o.Stages {
			if want(s) {
				w.RegisterActivityWithOptions(acts.stage(s), activity.RegisterOptions{Name: ActivityName(s)})
			}
		}
		workers = append(workers, w)
		queues = append(queues, queue)
	}
	// One detect at a time per worker (it uses every core, or the GPU);
	// two light stages, so one episode's track runs beside another's
	// cluster.
	if gpu {
		add(QueueGPU, 1, func(s string) bool { return GPUStages[s] })
	}
	if cpu {
		add(QueueCPU, 2, func(s string) bool { return !GPUStages[s] })
	}
	for i, w := range workers {
		if err := w.Start(); err != nil {
			for _, s := range workers[:i] {
				s.Stop()
			}
			return errs.Wrap(errs.RemoteUnavailable, err, fmt.Sprintf("The worker could not start on %s.", queues[i]), "Check the Temporal server and the namespace.")
		}
	}
	if o.Started != nil {
		o.Started(queues)
	}
	<-ctx.Done()
	for _, w := range workers {
		w.Stop()
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}

// levelFilter drops records below min (the SDK logs every poll at info).
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(a), f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}
