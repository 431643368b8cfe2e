package cli

import (
	"context"
	"fmt"
	"strings"

	"castscope/backend/atomicfile"
	"castscope/backend/errs"
	"castscope/backend/screentime"
	"castscope/backend/service"
)

// exportFormats are the formats of `castscope export --format`.
var exportFormats = []screentime.Format{screentime.FormatCSV, screentime.FormatJSON, screentime.FormatEDL, screentime.FormatFCPXML, screentime.FormatOTIO}

// screenTimeExportCmd writes an episode's screen time (screentime.json,
// written by the analytics stage) as CSV segments, JSON, a CMX3600 EDL,
// FCPXML or OpenTimelineIO, keyed to the source's timecode.
func screenTimeExportCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "export")
	data := fs.String("data", "", "data folder (default $CASTSCOPE_DATA or the user data dir)")
	format := fs.String("format", "", "csv | json | edl | fcpxml | otio (required)")
	person := fs.String("person", "", "only the person with this label (case ignored)")
	out := fs.String("out", "", "write to FILE instead of standard output")
	unidentified := fs.Bool("unidentified", false, "add the unidentified faces as a person (csv, edl, fcpxml, otio)")
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageError(env, fs.Usage, "castscope export: give exactly one EPISODE_KEY")
	}
	f := screentime.Format(strings.ToLower(strings.TrimSpace(*format)))
	known := false
	for _, k := range exportFormats {
		known = known || k == f
	}
	if !known {
		return usageError(env, fs.Usage, "castscope export: --format must be one of csv, json, edl, fcpxml, otio")
	}

	b, err := service.Open(ctx, service.Options{DataDir: *data, ReadOnly: true, LogFallback: env.Stderr})
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	defer b.Close()
	body, err := b.ExportScreenTime(ctx, pos[0], string(f), *person, *unidentified)
	if err != nil {
		printError(env.Stderr, err)
		if errs.CodeOf(err) == errs.Usage {
			return ExitUsage
		}
		return ExitError
	}
	if *out == "" {
		if _, err := env.Stdout.Write(body); err != nil {
			printError(env.Stderr, errs.FS(err, "standard output"))
			return ExitError
		}
		return ExitOK
	}
	if err := atomicfile.Write(*out, body); err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	fmt.Fprintf(env.Stderr, "wrote %s (%s, %d bytes)\n", *out, f, len(body))
	return ExitOK
}
