package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"castscope/backend/errs"
	"castscope/backend/service"
)

const castUsage = `castscope cast EPISODE_KEY [ACTION ARGS...] [--data DIR]

Actions (none: list the people):
  rename ID NAME...        name a person
  merge ID OTHER_ID...     merge people into ID
  split TRACK_ID... [--name NAME]   tracks become a new person
  move ID TRACK_ID...      tracks join person ID
  confirm ID TRACK_ID...   tracks stay with person ID through every re-cluster (out of review)
  not-this ID TRACK_ID...  tracks leave person ID
  lock ID | unlock ID      pin a person's tracks and name
  undo                     take back the last action
  at TIME                  who is on screen at TIME (MM:SS, seconds or HH:MM:SS:FF)
  compare FILE             compare with hand-logged timings ("NAME 19.12" a line, or CSV)
  headshots [FILE...]      list (or add photos to) the cast list of the episode's show
  remove-headshot ID       take a photo off the cast list

Every curation action runs cluster and analytics again and waits for them.`

// castCmd is the Cast view on the command line.
func castCmd(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "cast")
	data := fs.String("data", "", "data folder (default $CASTSCOPE_DATA or the user data dir)")
	name := fs.String("name", "", "split: the new person's name")
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) == 0 {
		return usageError(env, fs.Usage, "castscope cast: give an EPISODE_KEY")
	}
	key, action, rest := pos[0], "list", pos[1:]
	if len(rest) > 0 {
		action, rest = rest[0], rest[1:]
	}
	ids := func(from []string) ([]int64, bool) {
		out := make([]int64, 0, len(from))
		for _, s := range from {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, false
			}
			out = append(out, v)
		}
		return out, len(out) > 0
	}
	var req *service.CurateRequest
	if *name != "" && action != "split" {
		return usageError(env, fs.Usage, "castscope cast: --name goes with split only (rename ID NAME names a person)")
	}
	switch action {
	case "list", "undo":
		if len(rest) > 0 {
			return usageError(env, fs.Usage, "castscope cast: %s takes no arguments (got %q)", action, strings.Join(rest, " "))
		}
	case "headshots":
	case "rename":
		id, ok := ids(rest[:min(1, len(rest))])
		if !ok || len(rest) < 2 {
			return usageError(env, fs.Usage, "castscope cast: rename ID NAME")
		}
		req = &service.CurateRequest{Kind: "rename", IdentityID: id[0], Name: strings.Join(rest[1:], " ")}
	case "merge", "move", "confirm", "not-this":
		all, ok := ids(rest)
		if !ok || len(all) < 2 {
			return usageError(env, fs.Usage, "castscope cast: %s ID ID...", action)
		}
		req = &service.CurateRequest{Kind: strings.ReplaceAll(action, "-", "_"), IdentityID: all[0]}
		if action == "merge" {
			req.Others = all[1:]
		} else {
			req.TrackIDs = all[1:]
		}
	case "split":
		tracks, ok := ids(rest)
		if !ok {
			return usageError(env, fs.Usage, "castscope cast: split TRACK_ID... [--name NAME]")
		}
		req = &service.CurateRequest{Kind: "split", TrackIDs: tracks, Name: *name}
	case "lock", "unlock":
		id, ok := ids(rest)
		if !ok || len(id) != 1 {
			return usageError(env, fs.Usage, "castscope cast: %s ID", action)
		}
		req = &service.CurateRequest{Kind: action, IdentityID: id[0]}
	case "at", "compare":
		if len(rest) != 1 {
			return usageError(env, fs.Usage, "castscope cast: %s needs one argument", action)
		}
	case "remove-headshot":
		if _, ok := ids(rest); !ok || len(rest) != 1 {
			return usageError(env, fs.Usage, "castscope cast: remove-headshot ID")
		}
	default:
		return usageError(env, fs.Usage, "castscope cast: unknown action %q", action)
	}

	readOnly := action == "list" || action == "at" || action == "compare" || (action == "headshots" && len(rest) == 0)
	b, err := service.Open(ctx, service.Options{DataDir: *data, ReadOnly: readOnly, LogFallback: env.Stderr})
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	defer b.Close()
	fail := func(err error) int {
		printError(env.Stderr, err)
		if errs.CodeOf(err) == errs.Usage {
			return ExitUsage
		}
		return ExitError
	}
	switch {
	case req != nil || action == "undo":
		var jobID string
		if action == "undo" {
			jobID, err = b.UndoCuration(ctx, key)
		} else if err = settleCast(ctx, b, key, ""); err == nil {
			// The change anchors to the identities as they are once every
			// earlier change is applied (the service refuses it before).
			jobID, err = b.Curate(ctx, key, *req)
		}
		if err != nil {
			return fail(err)
		}
		if err := settleCast(ctx, b, key, jobID); err != nil {
			return fail(err)
		}
		return printCast(ctx, env, b, key)
	case action == "list":
		return printCast(ctx, env, b, key)
	case action == "at":
		o, err := b.OnScreen(ctx, key, rest[0])
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.Stdout, "%s (timecode %s):\n", o.Clock, o.Timecode)
		if len(o.People) == 0 {
			fmt.Fprintln(env.Stdout, "  nobody")
		}
		for _, p := range o.People {
			fmt.Fprintf(env.Stdout, "  %s (on screen %.2f–%.2f s)\n", p.Label, p.Segment.StartS, p.Segment.EndS)
		}
		return ExitOK
	case action == "compare":
		text, err := os.ReadFile(rest[0])
		if err != nil {
			return fail(errs.New(errs.InputNotFound, fmt.Sprintf("%s cannot be read.", rest[0]), "Give a text or CSV file of hand-logged timings."))
		}
		rows, err := b.CompareLogged(ctx, key, string(text))
		if err != nil {
			return fail(err)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "name\tcomputed s\tlogged s\tdiff s\tdiff %\twithin\t")
		for _, c := range rows {
			computed := fmt.Sprintf("%.2f", c.ComputedS)
			if !c.Found {
				computed = "not found"
			}
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%+.2f\t%+.1f\t%v\t\n", c.Name, computed, c.LoggedS, c.DiffS, c.DiffPct, c.Within)
		}
		tw.Flush()
		return ExitOK
	case action == "headshots":
		code := ExitOK
		ep, err := b.Episode(ctx, key)
		if err != nil {
			return fail(err)
		}
		show := service.ShowOf(ep)
		if len(rest) > 0 {
			res, err := b.AddHeadshots(ctx, show, rest)
			if err != nil {
				return fail(err)
			}
			bad := 0
			for _, r := range res {
				if r.Error != nil {
					printError(env.Stderr, r.Error)
					bad++
				}
			}
			if bad < len(res) {
				// Relabel this episode now; the show's other episodes follow
				// on their next cluster run.
				if err := settleCast(ctx, b, key, ""); err != nil {
					return fail(err)
				}
			}
			if bad > 0 {
				defer fmt.Fprintf(env.Stderr, "%d of %d photos were not added.\n", bad, len(res))
				code = ExitError
			}
		}
		hs, err := b.Facebank(ctx, show)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.Stdout, "cast list of %s: %d photos\n", show, len(hs))
		for _, h := range hs {
			fmt.Fprintf(env.Stdout, "  %d  %s  (%s)\n", h.ID, h.Name, h.File)
		}
		return max(code, ExitOK)
	case action == "remove-headshot":
		id, _ := strconv.ParseInt(rest[0], 10, 64)
		if err := b.RemoveHeadshot(ctx, id); err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.Stdout, "removed %d\n", id)
		return ExitOK
	}
	return ExitOK
}

// settleCast waits for the job that applies a curation (jobID, if any),
// then for the re-clusters the Cast view still finds owed: a pending view
// is caught up (service's CatchUp, which refuses after a failed run), and
// a tracked episode with no identities of its tracks is re-clustered. A
// job that fails ends the wait with its stage's error.
func settleCast(ctx context.Context, b *service.Backend, key, jobID string) error {
	for range 5 {
		if jobID != "" {
			j, err := b.WaitJob(ctx, jobID)
			if err != nil {
				return err
			}
			if err := stageFailure(j); err != nil {
				return err
			}
		}
		v, err := b.Cast(ctx, key)
		if err != nil {
			return err
		}
		if !v.Ready {
			// No identities of these tracks (cluster died or failed, or
			// track ran since): owed once there are tracks.
			ep, err := b.Episode(ctx, key)
			if err != nil || !ep.States["tracked"] {
				return err
			}
			if jobID, err = b.Recluster(ctx, key); err != nil {
				return err
			}
			continue
		} else if !v.Pending {
			return nil
		}
		if jobID, err = b.CatchUp(ctx, key); err != nil {
			return err
		}
	}
	return errs.New(errs.Internal, "The cast kept changing while it was being applied.", "Run the command again.")
}

func printCast(ctx context.Context, env *Env, b *service.Backend, key string) int {
	v, err := b.Cast(ctx, key)
	if err != nil {
		printError(env.Stderr, err)
		return ExitError
	}
	if !v.Ready {
		fmt.Fprintf(env.Stdout, "%s has no people yet: run the pipeline first (castscope run VIDEO).\n", key)
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tperson\tscreen time\tshare\ttracks\tlocked\tcast list\ttrack ids")
	for _, p := range v.People {
		lock, fb := "", ""
		if p.Locked {
			lock = "locked"
		}
		if p.FacebankName != "" {
			fb = fmt.Sprintf("%s (%.2f)", p.FacebankName, p.FacebankScore)
		}
		fmt.Fprintf(tw, "%d\t%s\t%.2f s ±%.2f\t%.1f %%\t%d\t%s\t%s\t%s\n", p.IdentityID, p.Label, p.ScreenTimeS, p.MarginS, p.Share*100, p.Tracks, lock, fb, joinIDs(p.TrackIDs))
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "unidentified: %d tracks, %.2f s\n", v.Unidentified.Tracks, v.Unidentified.ScreenTimeS)
	if v.LastOp != "" {
		fmt.Fprintf(env.Stdout, "curation: %d actions; undo would take back: %s\n", v.Ops, v.LastOp)
	}
	if len(v.Review) > 0 {
		fmt.Fprintln(env.Stdout, "review first (least certain tracks):")
		for _, r := range v.Review[:min(5, len(v.Review))] {
			fmt.Fprintf(env.Stdout, "  track %d of %s (%.1f–%.1f s), could be %s (match gap %.2f)\n", r.TrackID, r.Label, r.StartS, r.EndS, r.OtherLabel, r.Margin)
		}
	}
	for _, p := range v.People {
		switch {
		case p.FacebankReason != "":
			fmt.Fprintf(env.Stdout, "%s named from the cast list: %s\n", p.Label, p.FacebankReason)
		case p.Suggestion != nil:
			fmt.Fprintf(env.Stdout, "%s may be %s (%s): castscope cast %s rename %d %q\n", p.Label, p.Suggestion.Name, p.Suggestion.Reason(), key, p.IdentityID, p.Suggestion.Name)
		}
		if p.ProfileS > 0 {
			fmt.Fprintf(env.Stdout, "%s: %.1f s of %.1f s from profile faces\n", p.Label, p.ProfileS, p.ScreenTimeS)
		}
	}
	if len(v.Suggestions) > 0 {
		fmt.Fprintln(env.Stdout, "possibly the same person (never on screen together, faces alike):")
		for _, sg := range v.Suggestions {
			fmt.Fprintf(env.Stdout, "  %s and %s (similarity %.2f): castscope cast %s merge %d %d\n", sg.Label, sg.OtherLabel, sg.Similarity, key, sg.IdentityID, sg.OtherID)
		}
	}
	return ExitOK
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}
