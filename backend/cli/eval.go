package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/evalset"
	"castscope/backend/service"
)

// evalCmd runs every clip of a real-footage set as a user would (add the
// clip, put the truth's cast list on its show, run the pipeline) and
// scores what was named against the truth (package evalset).
func evalCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "eval")
	data := fs.String("data", "", "data folder for the runs (default: a new temporary folder, removed afterwards)")
	asJSON := fs.Bool("json", false, "print the scores as JSON")
	var known []string
	for _, v := range evalset.Variants {
		known = append(known, v.Name+" ("+v.What+")")
	}
	variantList := fs.String("variants", "", "also score degraded copies of every clip, apart (comma-separated; needs ffmpeg): "+strings.Join(known, "; "))
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageError(env, fs.Usage, "castscope eval: give exactly one DIR of *.truth.json files")
	}
	truths, err := evalset.LoadDir(pos[0])
	if err != nil {
		printError(env.Stderr, errs.New(errs.Usage, err.Error(), "Each clip needs a CLIP.truth.json beside it (see testdata/real/README.md)."))
		return ExitUsage
	}
	variants, err := evalset.VariantsOf(*variantList)
	if err != nil {
		return usageError(env, fs.Usage, "castscope eval: %s", err)
	}
	dir := *data
	if dir == "" {
		if dir, err = os.MkdirTemp("", "castscope-eval-"); err != nil {
			printError(env.Stderr, errs.FS(err, os.TempDir()))
			return ExitError
		}
		defer os.RemoveAll(dir)
	}
	progress := env.Stderr
	if !*asJSON {
		progress = env.Stdout
	}
	b, err := service.Open(ctx, service.Options{DataDir: dir, WorkerExe: env.WorkerExe})
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	defer b.Close()
	for _, t := range slices.Clone(truths) {
		for _, v := range variants {
			file, err := makeVariant(ctx, t.ClipPath(), filepath.Join(dir, "variants"), v)
			if err != nil {
				printError(env.Stderr, err)
				return ExitError
			}
			truths = append(truths, t.Of(v, file))
		}
	}
	var clips []evalset.ClipScore
	for _, t := range truths {
		start := time.Now()
		o, err := evalClip(ctx, b, t)
		if err != nil {
			fmt.Fprintf(progress, "eval %s: failed\n", t.Name())
			printError(env.Stderr, err)
			return ExitError
		}
		clips = append(clips, evalset.Score(t, o, evalset.DefaultTargets))
		fmt.Fprintf(progress, "eval %s: %d identities in %.1f s\n", t.Name(), len(o.Identities), time.Since(start).Seconds())
	}
	set := evalset.Summarise(clips, evalset.DefaultTargets)
	if *asJSON {
		out, _ := json.MarshalIndent(set, "", "  ")
		fmt.Fprintln(env.Stdout, string(out))
	} else {
		fmt.Fprintln(env.Stdout)
		set.Print(env.Stdout)
	}
	if len(set.Failures) > 0 {
		return ExitError
	}
	return ExitOK
}

// evalClip registers a clip, puts the truth's cast list on its show (once:
// a photo already on the list, by path, is kept) and runs the whole
// pipeline.
func evalClip(ctx context.Context, b *service.Backend, t evalset.Truth) (evalset.Observed, error) {
	ep, _, err := b.AddVideo(ctx, t.ClipPath())
	if err != nil {
		return evalset.Observed{}, err
	}
	show := episode.ShowOf(ep.Key)
	have, err := b.Facebank(ctx, show)
	if err != nil {
		return evalset.Observed{}, err
	}
	known := map[string]bool{} // photos already on the list, by path
	for _, h := range have {
		known[h.File] = true
	}
	for _, c := range t.Cast {
		for _, p := range c.Headshots {
			if p, _ = filepath.Abs(t.Path(p)); known[p] {
				continue
			}
			res, err := b.AddHeadshots(ctx, show, []string{p})
			if err != nil {
				return evalset.Observed{}, err
			}
			if res[0].Error != nil {
				return evalset.Observed{}, res[0].Error
			}
			if err := b.RenameHeadshot(ctx, res[0].Headshot.ID, c.Name); err != nil {
				return evalset.Observed{}, err
			}
		}
	}
	j, _, err := b.Run(ctx, ep.Key, nil, service.RunOverrides{})
	if err != nil {
		return evalset.Observed{}, err
	}
	if j, err = b.WaitJob(ctx, j.ID); err != nil {
		return evalset.Observed{}, err
	}
	if err := stageFailure(j); err != nil {
		return evalset.Observed{}, err
	}
	return b.Observe(ctx, ep.Key)
}

// makeVariant writes the degraded copy v of clip into dir (once: a copy
// already there is reused) and returns its path.
func makeVariant(ctx context.Context, clip, dir string, v evalset.Variant) (string, error) {
	base := strings.TrimSuffix(filepath.Base(clip), filepath.Ext(clip))
	out := filepath.Join(dir, base+"__"+v.Name+".mp4")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", errs.FS(err, dir)
	}
	tmp := out + ".part.mp4"
	cmd := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-y", "-i", clip, "-an", "-vf", v.Filter,
		"-c:v", "libx264", "-preset", "veryfast", "-crf", strconv.Itoa(v.CRF), "-pix_fmt", "yuv420p", tmp)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", errs.New(errs.Internal, fmt.Sprintf("ffmpeg could not make the %s variant of %s: %v %s", v.Name, filepath.Base(clip), err, strings.TrimSpace(string(b))), "Install ffmpeg (make deps), or leave --variants out.")
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", errs.FS(err, out)
	}
	return out, nil
}
