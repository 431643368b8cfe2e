package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"castscope/backend/bench"
	"castscope/backend/errs"
)

func benchCmd(ctx context.Context, env *Env, args []string) int {
	if isTemporalBench(args) {
		return benchTemporalCmd(ctx, env, args)
	}
	fs := newFlags(env, "bench")
	fs.Bool("temporal", false, "measure the Temporal driver against the embedded engine instead (castscope bench --temporal --help)")
	videoPath := fs.String("video", "", "video to measure (default: generate a 1080p H.264 clip from the testdata/media photos)")
	fps := fs.Float64("fps", 5, "frames sampled per second (≤ 0 = every frame)")
	threads := fs.Int("threads", runtime.NumCPU(), "ffmpeg -threads for the decode comparison (0 = ffmpeg's choice)")
	preset := fs.String("preset", "default", "detection preset: fast, default or detail")
	clip := fs.Duration("clip", 0, "length of the generated clip (default 20s)")
	media := fs.String("media", "", "photos for the generated clip (default $CASTSCOPE_MEDIA or the checkout's testdata/media)")
	detB := fs.String("det-batch", "1,4", "detector batch sizes to time (the stage's 4 is always added)")
	embB := fs.String("emb-batch", "1,16", "embedder batch sizes to time (the stage's 16 is always added)")
	rssShort := fs.Duration("rss-short", bench.DefaultRSSShort, "short clip for the peak RSS comparison (a thorough run: 1m; 0 = skip (d))")
	rssLong := fs.Duration("rss-long", bench.DefaultRSSLong, "long clip for the peak RSS comparison (a thorough run: 10m; 0 = skip (d))")
	noStage := fs.Bool("no-stage", false, "skip (c), the detect stage through the engine")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	work := fs.String("work", "", "folder for the generated clips and data (default a temporary folder, removed)")
	keep := fs.Bool("keep", false, "keep the work folder")
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		return usageError(env, fs.Usage, "castscope bench: unexpected argument %q (use --video FILE)", pos[0])
	}
	dets, err := batchList(*detB)
	if err != nil {
		return usageError(env, fs.Usage, "castscope bench: --det-batch: %v", err)
	}
	embs, err := batchList(*embB)
	if err != nil {
		return usageError(env, fs.Usage, "castscope bench: --emb-batch: %v", err)
	}
	if (*rssShort > 0) != (*rssLong > 0) || (*rssShort > 0 && *rssLong < *rssShort) {
		return usageError(env, fs.Usage, "castscope bench: --rss-short and --rss-long are both 0 or both set, long ≥ short")
	}
	cfg := bench.Config{
		Video: *videoPath, ClipLength: *clip, MediaDir: *media, FPS: *fps, Threads: *threads, Preset: *preset,
		DetBatches: dets, EmbBatches: embs, RSSShort: *rssShort, RSSLong: *rssLong,
		WorkDir: *work, Keep: *keep, SkipStage: *noStage,
		Log: func(format string, a ...any) { fmt.Fprintf(env.Stderr, "bench: "+format+"\n", a...) },
	}
	if *fps == 0 {
		cfg.FPS = -1 // Config's 0 means the default
	}
	// The castscope binary: (c) in a worker process and (d) use it.
	cfg.Exe = env.WorkerExe
	if *rssShort > 0 && cfg.Exe == "" {
		printError(env.Stderr, errs.New(errs.Internal, "Cannot find the castscope binary for (d).", "Run with --rss-short 0 --rss-long 0."))
		return ExitError
	}
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	if *asJSON {
		return printJSON(env, res)
	}
	fmt.Fprint(env.Stdout, bench.Header(res))
	fmt.Fprint(env.Stdout, bench.FormatTable(bench.Rows(res)))
	fmt.Fprintf(env.Stdout, "total %.0f s\n", res.TotalS)
	return ExitOK
}

// printJSON writes a bench result as indented JSON.
func printJSON(env *Env, v any) int {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	return ExitOK
}

func batchList(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 256 {
			return nil, fmt.Errorf("%q is not a batch size (1–256)", p)
		}
		out = append(out, n)
	}
	return out, nil
}
