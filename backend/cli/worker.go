package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"castscope/backend/errs"
	"castscope/backend/service"
)

// workerCmd is the worker process a supervising runner starts for each
// stage attempt (package job, worker.go): a crash in native code ends this
// process, and the runner fails or retries the stage. It reads its task on
// stdin and reports on file descriptor 3.
func workerCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "worker")
	data := fs.String("data", "", "data folder")
	if _, code := parse(fs, args); code >= 0 {
		return code
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
