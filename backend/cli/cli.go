// Package cli is Castscope's headless face: the subcommands of the one
// binary (run, cast, inspect, export, export-json, doctor, bench, eval,
// version, worker). It drives the same backend as the window (package service)
// and prints engine events as one line per stage change or progress step.
//
// Exit codes: 0 when every stage ended ok or skipped; 3 when a stage ended
// in error (the last line is "error: ERR_… message"); 2 for usage errors
// (the last line is "error: ERR_USAGE …", given before the data folder
// is opened).
//
// run prints each error once, at its end, in the order they happened
// (a file not registered, a job refused, a job's failure); a failed job's
// error is its cause — the first stage that failed — and the stages after
// it read as "not run because …", not as errors of their own.
//
// A run of an episode that already has a job queued or running (the
// window, another command) cannot start its own: the store allows one
// unfinished job per episode. When the run's flags (--stages, --fps,
// --preset, --require-gpu, --rerun, the cluster and screen-time flags)
// ask for nothing that job does not do, the run says it joined that job
// and follows it; when they differ, it refuses (ERR_USAGE, exit 3),
// naming the job and each flag with the job's value. Following it would
// end, with exit 0, on results made with settings other than those asked
// for; a user who meant them would not know.
//
// inspect, export and cast's reading actions only read the data folder
// (service.Options.ReadOnly): they do not need a writable log.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"castscope/backend/errs"
	"castscope/backend/version"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 3
	ExitUsage = 2
)

type command struct {
	name    string
	usage   string
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

// Env is where a command reads and writes; tests pass buffers.
type Env struct {
	Stdout, Stderr io.Writer
	// WorkerExe is this program's executable: commands that run stages
	// (run, eval) run each attempt in a `castscope worker` child process
	// of it. "" runs them in this process (tests that call Main).
	WorkerExe string
}

var commands []command

func init() {
	commands = []command{
		{"run", "castscope run VIDEO... [--data DIR] [--temporal HOST:PORT [--namespace NS]] [--stages LIST] [--fps N] [--preset P] [--require-gpu] [--cluster-threshold D] [--min-track-len N] [--screentime-preset default|strict]", "register and process videos", runCmd},
		{"cast", castUsage, "an episode's people: list and curate them, who is on screen when, hand-logged timings, the cast list", castCmd},
		{"inspect", "castscope inspect EPISODE_KEY [--data DIR] [--json]", "the state inspector: registry, jobs, artifacts, last log lines", inspectCmd},
		{"export-json", "castscope export-json [--data DIR]", "rewrite every episodes/*/state.json and data/jobs/*/meta.json from the database", exportCmd},
		{"export", "castscope export EPISODE_KEY --format csv|json|edl|fcpxml|otio [--person NAME] [--out FILE] [--data DIR]", "export screen time for an editing system (segments CSV, JSON, CMX3600 EDL, FCPXML, OpenTimelineIO)", screenTimeExportCmd},
		{"doctor", "castscope doctor [--data DIR] [--json]", "versions, ONNX Runtime library and providers, models and their sha256", doctorCmd},
		{"bench", "castscope bench [--video FILE] [--fps N] [--threads T] [--clip 20s] [--rss-short 20s --rss-long 120s] [--json]  |  castscope bench --temporal [--episodes 4] [--clip 60s] [--json]", "measure decode, inference, detect stage overhead and peak RSS side by side against their goals; with --temporal, the Temporal driver against the embedded engine and one worker against two", benchCmd},
		{"eval", "castscope eval DIR [--data DIR] [--json] [--variants dark,half,crf40]", "run every clip of a real-footage set (DIR/*.truth.json) and score the names and screen time against its truth", evalCmd},
		{"version", "castscope version", "print the version", versionCmd},
		{"worker", "castscope worker --temporal HOST:PORT [--namespace NS] [--queue cpu|gpu|all] --artifacts DIR  |  castscope worker [--data DIR]", "serve the stages on a Temporal server, the artifacts in a shared folder; without --temporal, run one stage attempt for the Castscope that started it (its task on stdin, reports on file descriptor 3)", workerCmd},
	}
}

// IsCommand reports whether arg names a subcommand (or asks for help), so
// main can tell the headless face from the window.
func IsCommand(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	for _, c := range commands {
		if c.name == arg {
			return true
		}
	}
	return false
}

// Main runs one subcommand and returns the process exit code.
func Main(ctx context.Context, args []string, env *Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage(env.Stdout)
		return ExitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "castscope: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Castscope %s: who is on screen, when, and for how long.\n\n", version.Version)
	fmt.Fprintln(w, "Usage:\n  castscope                 open the window\n  castscope VIDEO...        open the window with these videos (a window already open on the data folder gets them)")
	for _, c := range commands {
		fmt.Fprintf(w, "  castscope %-15s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `castscope COMMAND --help` for a command's flags.")
	fmt.Fprintln(w, "The data folder is --data DIR, else $CASTSCOPE_DATA, else the user data dir.")
}

// newFlags returns a flag set that prints the command's usage on --help.
func newFlags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	for _, c := range commands {
		if c.name == name {
			fs.Usage = func() {
				fmt.Fprintf(env.Stderr, "Usage: %s\n\n%s.\n\nFlags:\n", c.usage, capitalize(c.summary))
				fs.PrintDefaults()
			}
		}
	}
	return fs
}

// parse parses flags that may come before, between or after positional
// arguments (castscope run a.mp4 --fps 2 b.mp4). It returns the positional
// arguments, or an exit code ≥ 0 when parsing ended the command.
func parse(fs *flag.FlagSet, args []string) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, ExitOK
			}
			return nil, ExitUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, -1
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), -1
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// printError writes the hint, then the typed error line every failing
// command ends with.
func printError(w io.Writer, err error) {
	e := errs.As(err)
	if e.Hint != "" {
		fmt.Fprintf(w, "hint: %s\n", e.Hint)
	}
	fmt.Fprintf(w, "error: %s %s\n", e.Code, e.Message)
}

func versionCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "version")
	if _, code := parse(fs, args); code >= 0 {
		return code
	}
	fmt.Fprintf(env.Stdout, "castscope %s\n", version.Version)
	return ExitOK
}
