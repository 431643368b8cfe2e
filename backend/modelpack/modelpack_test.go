package modelpack

import (
	"os"
	"path/filepath"
	"testing"

	"castscope/backend/errs"
)

func sharedModels(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CASTSCOPE_MODEL_SOURCE")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "models")
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

func TestInstallCopiesAndVerifies(t *testing.T) {
	t.Parallel()
	src := sharedModels(t)
	dst := filepath.Join(t.TempDir(), "models")
	p := Default()
	if err := p.Install(src, dst); err != nil {
		t.Fatalf("install: %v", err)
	}
	for _, s := range p.Verify(dst) {
		if !s.OK {
			t.Errorf("after install %s: %s", s.File, s.Problem)
		}
	}
	// A damaged installed file is replaced on the next install.
	bad := filepath.Join(dst, p.Models[1].File)
	if err := os.WriteFile(bad, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Install(src, dst); err != nil {
		t.Fatalf("reinstall: %v", err)
	}
	if _, err := Check(dst, p.Models[1]); err != nil {
		t.Errorf("damaged file not replaced: %v", err)
	}
}

func TestInstallFromEmptySourceFailsTyped(t *testing.T) {
	t.Parallel()
	p := Default()
	err := p.Install(t.TempDir(), t.TempDir())
	if errs.CodeOf(err) != errs.ModelMissing {
		t.Fatalf("got %v, want ERR_MODEL_MISSING", err)
	}
}
