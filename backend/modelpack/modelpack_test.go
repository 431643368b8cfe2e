package modelpack

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"castscope/backend/errs"
	"castscope/backend/testmedia"
)

// repoModels returns a models folder: $CASTSCOPE_MODELS, else the
// repository's models/ (the folder holding go.mod, found by walking up
// from the working directory). It skips when the models are absent, or
// fails under CASTSCOPE_REQUIRE_MODELS=1.
func repoModels(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(EnvModels)
	if dir == "" {
		if root := testmedia.Root(); root != "" {
			dir = filepath.Join(root, "models")
		}
	}
	if _, err := os.Stat(filepath.Join(dir, Default().Models[0].File)); err != nil {
		if os.Getenv("CASTSCOPE_REQUIRE_MODELS") == "1" {
			t.Fatalf("models required but not found in %s: %v", dir, err)
		}
		t.Skipf("models not found in %s", dir)
	}
	return dir
}

func TestManifestIsComplete(t *testing.T) {
	p := Default()
	if len(p.Models) < 2 {
		t.Fatalf("manifest lists %d models, want detector and embedder", len(p.Models))
	}
	for _, name := range []string{"retinaface", "arcface"} {
		m, ok := p.Find(name)
		if !ok {
			t.Fatalf("manifest has no %q", name)
		}
		if len(m.SHA256) != 64 || m.Size <= 0 || m.File == "" || m.Licence == "" {
			t.Errorf("%s: incomplete entry %+v", name, m)
		}
	}
}

func TestVerifyReportsMissingAndDamagedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := Default()
	// One file damaged, the other missing.
	if err := os.WriteFile(filepath.Join(dir, p.Models[0].File), []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := p.Verify(dir)
	if st[0].OK || st[0].Code != errs.ModelChecksum {
		t.Errorf("damaged file: got %+v, want ERR_MODEL_CHECKSUM", st[0])
	}
	if st[1].OK || st[1].Code != errs.ModelMissing {
		t.Errorf("missing file: got %+v, want ERR_MODEL_MISSING", st[1])
	}
	for _, s := range st {
		if s.Path == "" || !filepath.IsAbs(s.Path) && filepath.Dir(s.Path) != dir {
			t.Errorf("status does not name the file: %+v", s)
		}
	}
}

// TestFolderMatchesBuiltIn: the repository's models/ folder (or the one
// named by the environment) verifies as a folder pack, and its files are
// byte for byte the built-in ones.
func TestFolderMatchesBuiltIn(t *testing.T) {
	t.Parallel()
	dir := repoModels(t)
	p := Default()
	for _, s := range p.Verify(dir) {
		if !s.OK || s.Origin != OriginFolder || s.Path != filepath.Join(dir, s.File) {
			t.Errorf("folder %s: %+v", dir, s)
		}
	}
	for _, s := range p.Verify("") {
		if !s.OK || s.Origin != OriginBuiltIn || s.Path != "" {
			t.Errorf("built in: %+v", s)
		}
	}
	for _, m := range p.Models {
		f, err := Load(dir, m)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Load("", m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.Data, b.Data) {
			t.Errorf("%s: folder and built-in bytes differ", m.File)
		}
	}
}

// TestEmptyFolderFailsTyped: a chosen folder without the models is
// ERR_MODEL_MISSING for each file, never a silent fall-back to the
// built-in pack.
func TestEmptyFolderFailsTyped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, s := range Default().Verify(dir) {
		if s.OK || s.Code != errs.ModelMissing || s.Origin != OriginFolder {
			t.Errorf("empty folder: got %+v, want ERR_MODEL_MISSING from the folder", s)
		}
	}
}
