package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/service"
)

func doctorCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "doctor")
	data := fs.String("data", "", "data folder (default $CASTSCOPE_DATA or the user data dir)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code := parse(fs, args); code >= 0 {
		return code
	}
	dir := service.ResolveDataDir(*data)
	settings, err := service.LoadSettings(dir)
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	d := service.RunDoctor(ctx, dir, settings.Normalized())
	if *asJSON {
		b, _ := json.MarshalIndent(d, "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		d.Print(env.Stdout)
	}
	if !d.OK() {
		return ExitError
	}
	return ExitOK
}

func exportCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "export-json")
	data := fs.String("data", "", "data folder (default $CASTSCOPE_DATA or the user data dir)")
	if _, code := parse(fs, args); code >= 0 {
		return code
	}
	b, err := service.Open(ctx, service.Options{DataDir: *data, NoRunner: true})
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	defer b.Close()
	if err := b.ExportJSON(ctx); err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	fmt.Fprintf(env.Stdout, "exported state.json and meta.json files under %s\n", b.DataDir)
	return ExitOK
}

func inspectCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "inspect")
	data := fs.String("data", "", "data folder (default $CASTSCOPE_DATA or the user data dir)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, "castscope inspect: give exactly one EPISODE_KEY")
		fs.Usage()
		return ExitUsage
	}
	if err := episode.ValidateKey(pos[0]); err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	b, err := service.Open(ctx, service.Options{DataDir: *data, ReadOnly: true, LogFallback: env.Stderr})
	if errs.HasCode(err, errs.InputNotFound) { // no database: nothing was ever added there
		err = errs.Wrap(errs.EpisodeNotRegistered, err, fmt.Sprintf("%s is not registered: %s", pos[0], errs.As(err).Message),
			"Check the data folder (--data), or add the episode's video first.")
	}
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	defer b.Close()
	rep, err := b.Inspect(ctx, pos[0])
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	if *asJSON {
		out, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(env.Stdout, string(out))
	} else {
		fmt.Fprint(env.Stdout, rep.Text())
	}
	if !rep.Registry.Exists {
		return ExitError
	}
	return ExitOK
}

// stageList splits --stages "validate,extract" (or "detect+" for detect
// and everything after it).
func stageList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// usageError prints a usage problem and returns ExitUsage.
func usageError(env *Env, fsUsage func(), format string, args ...any) int {
	fmt.Fprintf(env.Stderr, format+"\n", args...)
	fsUsage()
	return ExitUsage
}

// typedUsageError prints the command's usage, then err as every failing
// command ends (hint, "error: ERR_USAGE …"), and returns ExitUsage.
func typedUsageError(env *Env, fsUsage func(), err error) int {
	fsUsage()
	fmt.Fprintln(env.Stderr)
	printError(env.Stderr, err)
	return ExitUsage
}
