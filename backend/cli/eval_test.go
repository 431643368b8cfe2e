package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"castscope/backend/evalset"
	"castscope/backend/testmedia"
)

// TestEvalRealFootage runs every clip of testdata/real as a user would
// (castscope eval) and holds the names and screen time to the product's
// targets: every cast member on screen for a second or more at F1 ≥ 0.90
// (a hard clip at its own floor), a mean F1 ≥ 0.95, no never-on-screen
// photo or stranger named, no identity that is not a face or mixes two
// people.
func TestEvalRealFootage(t *testing.T) {
	_, models := testmedia.Fixtures(t)
	t.Setenv("CASTSCOPE_MODELS", models)
	dir := filepath.Join(testmedia.Root(), "testdata", "real")
	testmedia.Need(t, filepath.Join(dir, "obama_weekly_address_whgov.truth.json"))
	truths, err := evalset.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"eval", dir, "--json", "--variants", "dark,half", "--data", t.TempDir()}, &Env{Stdout: &stdout, Stderr: &stderr})
	var set evalset.SetScore
	if err := json.Unmarshal(stdout.Bytes(), &set); err != nil {
		t.Fatalf("exit %d, output is not JSON: %v\n%s\n%s", code, err, stdout.String(), stderr.String())
	}
	var table strings.Builder
	set.Print(&table)
	t.Logf("castscope eval testdata/real:\n%s", table.String())
	if code != ExitOK || len(set.Failures) > 0 {
		t.Fatalf("exit %d; targets missed: %v", code, set.Failures)
	}
	if len(set.Clips) != 3*len(truths) || len(truths) < 6 {
		t.Fatalf("%d clips and variants scored of %d clips (want at least 6, each with 2 variants)", len(set.Clips), len(truths))
	}
	named, strangers := 0, 0
	for _, c := range set.Clips {
		if c.Variant != "" {
			continue
		}
		named += len(c.People)
		if len(c.People) == 0 {
			strangers++
		}
	}
	if named < 5 || strangers < 2 || set.MeanF1 < evalset.DefaultTargets.MeanF1 || set.VariantMeanF1 <= 0 {
		t.Fatalf("%d people named over the set, %d stranger-only clips, mean F1 %.3f", named, strangers, set.MeanF1)
	}
	if _, err := os.Stat(filepath.Join(dir, "PROVENANCE.md")); err != nil {
		t.Errorf("the real set needs its provenance: %v", err)
	}
}
