package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"castscope/backend/errs"
	"castscope/backend/service"
)

// workerCmd is the worker process a supervising runner starts for each
// stage attempt (package job, worker.go): a crash in native code ends this
// process, and the runner fails or retries the stage. It reads its task on
// stdin and reports on file descriptor 3.
//
// With --temporal it is a Temporal worker instead (package remote): it
// serves the episode workflow and the stages of its queue until
// interrupted, the artifacts under --artifacts.
func workerCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "worker")
	data := fs.String("data", "", "data folder")
	addr := fs.String("temporal", "", "serve the stages on the Temporal server at HOST:PORT")
	ns := fs.String("namespace", "default", "the Temporal namespace")
	queue := fs.String("queue", "all", "stages to serve: cpu (all but detect), gpu (detect) or all")
	artifacts := fs.String("artifacts", "", "the shared folder the artifacts go to, laid out as a data folder (every worker and the desktop mount it)")
	identity := fs.String("identity", "", "this worker's name in Temporal and the stage records (default pid@host)")
	partFrames := fs.Int("part-frames", 0, "frames per detect part and checkpoint (default 250): fewer redo less when a worker dies, in more files")
	if _, code := parse(fs, args); code >= 0 {
		return code
	}
	if *addr != "" {
		if *partFrames < 0 {
			return typedUsageError(env, fs.Usage, errs.New(errs.Usage, "--part-frames must be positive.", "Leave it out for the default, 250."))
		}
		return temporalWorker(ctx, env, fs.Usage, service.WorkerConfig{HostPort: *addr, Namespace: *ns, Serve: *queue,
			Artifacts: *artifacts, Identity: *identity, PartFrames: *partFrames})
	}
	// Ctrl-C in a terminal reaches the whole process group: the runner
	// that started this worker decides when it stops (its cancel line, or
	// its end closing stdin), so the attempt ends as the runner says.
	signal.Ignore(os.Interrupt)
	out := os.NewFile(3, "runner")
	if _, err := out.Stat(); err != nil {
		fmt.Fprintln(env.Stderr, "castscope worker: started without its report channel (file descriptor 3); Castscope starts workers itself")
		return ExitUsage
	}
	if err := service.ServeWorker(ctx, *data, os.Stdin, out); err != nil {
		fmt.Fprintf(env.Stderr, "castscope worker: %s\n", errs.As(err).Error())
		return ExitError
	}
	return ExitOK
}

// temporalWorker runs `castscope worker --temporal`: it logs to standard
// error, one line per stage event, and stops on Ctrl-C or SIGTERM (a
// stage it was running is retried elsewhere after the heartbeat timeout).
func temporalWorker(ctx context.Context, env *Env, usage func(), cfg service.WorkerConfig) int {
	if err := service.CheckHostPort(cfg.HostPort); err != nil {
		return typedUsageError(env, usage, err)
	}
	if cfg.Artifacts == "" {
		return typedUsageError(env, usage, errs.New(errs.Usage, "A Temporal worker needs --artifacts DIR.", "Name the shared folder every worker and the desktop mount."))
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg.Log = slog.New(slog.NewTextHandler(env.Stderr, nil))
	cfg.Started = func(queues []string, provider string) {
		line := fmt.Sprintf("worker: serving %s on %s namespace %s, artifacts in %s", strings.Join(queues, ", "), cfg.HostPort, cfg.Namespace, cfg.Artifacts)
		if provider != "" {
			line += ", detect on " + provider
		}
		fmt.Fprintln(env.Stdout, line)
	}
	err := service.ServeTemporal(ctx, cfg)
	if err != nil {
		printError(env.Stderr, err)
		if errs.CodeOf(err) == errs.Usage {
			return ExitUsage
		}
		return ExitError
	}
	fmt.Fprintln(env.Stdout, "worker: stopped")
	return ExitOK
}
