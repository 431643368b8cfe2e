package evalset

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Print writes the set's score as a table: per clip and cast member the
// named seconds, precision, recall, F1 and splits; then every true face's
// split count, every identity that is wrong, and the targets missed.
func (s SetScore) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "clip\tperson\ttrue s\tnamed s\tprecision\trecall\tF1\tidentities")
	for _, c := range s.Clips {
		for _, p := range c.People {
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%d\n", c.Clip, p.Name, p.TrueS, p.NamedS, p.Precision, p.Recall, p.F1, p.Identities)
		}
		if len(c.People) == 0 {
			fmt.Fprintf(tw, "%s\t(nobody to name)\t\t\t\t\t\t\n", c.Clip)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "clip\tidentities\tnot a face\tmixed >10%\tstrangers named\twrong names\tnever-on-screen names given\tfaces split (face: identities)")
	for _, c := range s.Clips {
		var split []string
		for _, f := range c.Faces {
			if f.Identities > 1 {
				split = append(split, fmt.Sprintf("%s: %d", f.Who, f.Identities))
			}
		}
		never := 0
		for _, id := range c.Identities {
			for _, n := range c.NeverOnScreen {
				if id.Name == n {
					never++
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", c.Clip, len(c.Identities), c.NotFaces, c.Mixed, c.StrangersNamed, c.WrongNames, never, strings.Join(split, ", "))
	}
	tw.Flush()
	for _, c := range s.Clips {
		if c.Hard != nil && c.Variant == "" {
			fmt.Fprintf(w, "\nhard clip %s (held to F1 ≥ %.2f, out of the mean): %s\n", c.Clip, c.Hard.MinF1, c.Hard.Why)
		}
	}
	fmt.Fprintf(w, "\nmean F1 over cast members on screen: %.3f\n", s.MeanF1)
	if s.VariantMeanF1 > 0 {
		fmt.Fprintf(w, "mean F1 over the degraded variants (scored apart): %.3f\n", s.VariantMeanF1)
	}
	if len(s.Failures) == 0 {
		fmt.Fprintln(w, "targets: all met")
		return
	}
	fmt.Fprintf(w, "targets missed (%d):\n", len(s.Failures))
	for _, f := range s.Failures {
		fmt.Fprintf(w, "  - %s\n", f)
	}
}
