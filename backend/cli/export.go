package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"castscope/backend/atomicfile"
	"castscope/backend/errs"
	"castscope/backend/pipeline"
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

	b, err := service.Open(ctx, service.Options{DataDir: *data})
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	defer b.Close()
	key := pos[0]
	ep, err := b.Store.Episode(ctx, key)
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	rep, err := pipeline.ReadReport(b.DataDir, key)
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	opts, err := pipeline.ExportOptionsOf(ep)
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	opts.IncludeUnidentified = *unidentified
	if *person != "" {
		if rep, err = pipeline.OnlyPerson(rep, *person); err != nil {
			printError(env.Stderr, err)
			return ExitUsage
		}
		opts.Person = *person
	}
	var buf bytes.Buffer
	if err := screentime.Export(&buf, f, rep, opts); err != nil {
		printError(env.Stderr, err)
		if errs.CodeOf(err) == errs.Usage {
			return ExitUsage
		}
		return ExitError
	}
	// What we hand to an editing system must load there: check it with
	// the offline validators before writing anything.
	switch f {
	case screentime.FormatEDL:
		err = screentime.ValidateEDL(buf.Bytes(), opts.Rate)
	case screentime.FormatFCPXML:
		err = screentime.ValidateFCPXML(buf.Bytes())
	}
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	if *out == "" {
		if _, err := env.Stdout.Write(buf.Bytes()); err != nil {
			printError(env.Stderr, errs.FS(err, "standard output"))
			return ExitError
		}
		return ExitOK
	}
	if err := atomicfile.Write(*out, buf.Bytes()); err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	fmt.Fprintf(env.Stderr, "wrote %s (%s, %d people, %d bytes)\n", *out, f, len(rep.People), buf.Len())
	return ExitOK
}
