package sqlite

import (
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	msqlite "modernc.org/sqlite"

	"castscope/backend/errs"
)

// driverErr runs qs on a fresh connection to dsn and returns the first
// error the driver gave (a real *sqlite.Error).
func driverErr(t *testing.T, dsn string, qs ...string) error {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			return err
		}
	}
	t.Fatalf("%s: no error", dsn)
	return nil
}

// TestMapErrRealDriverErrors: errors the driver really gives for a full
// database, a read-only one, one deleted under its connection, a journal
// that cannot be read (disk I/O error), a file that cannot be opened and
// one that is not a database map to typed codes.
func TestMapErrRealDriverErrors(t *testing.T) {
	t.Parallel()
	d := t.TempDir()
	mk := func(name string) string {
		p := filepath.Join(d, name)
		if err := driverErr(t, "file:"+p, "CREATE TABLE a(x)", "SELECT nothing"); err == nil {
			t.Fatal("setup")
		}
		return p
	}
	insert := "INSERT INTO a VALUES ('" + strings.Repeat("x", 20000) + "')"
	moved := func() error {
		p := mk("moved.db")
		db, _ := sql.Open("sqlite", "file:"+p)
		defer db.Close()
		db.SetMaxOpenConns(1)
		db.Exec("SELECT * FROM a")
		os.Remove(p)
		_, err := db.Exec(insert)
		return err
	}
	ioerr := func() error {
		p := mk("journal.db")
		os.Mkdir(p+"-journal", 0o755) // a hot journal SQLite cannot read
		return driverErr(t, "file:"+p, insert)
	}
	notADB := func() error {
		p := filepath.Join(d, "text.db")
		os.WriteFile(p, []byte(strings.Repeat("not a database\n", 100)), 0o644)
		return driverErr(t, "file:"+p, "SELECT * FROM sqlite_master")
	}
	os.Mkdir(filepath.Join(d, "folder.db"), 0o755)
	cases := []struct {
		name string
		err  error
		code int
		want errs.Code
	}{
		{"full", driverErr(t, "file:"+mk("full.db")+"?_pragma=max_page_count(3)", insert), 13, errs.DiskFull},
		{"read-only open", driverErr(t, "file:"+mk("ro.db")+"?mode=ro", insert), 8, errs.ReadOnly},
		{"query only", driverErr(t, "file:"+mk("qo.db")+"?_pragma=query_only(1)", insert), 8, errs.ReadOnly},
		{"moved", moved(), 1032, errs.ReadOnly},
		{"disk I/O error", ioerr(), 266, errs.RegistryUpdateFailed},
		{"cannot open", driverErr(t, "file:"+filepath.Join(d, "folder.db"), "CREATE TABLE a(x)"), 14, errs.RegistryUpdateFailed},
		{"not a database", notADB(), 26, errs.DatabaseCorrupt},
	}
	for _, c := range cases {
		var se *msqlite.Error
		if !errors.As(c.err, &se) || se.Code() != c.code {
			t.Errorf("%s: the driver gave %T %v, want code %d", c.name, c.err, c.err, c.code)
			continue
		}
		got := mapErr(c.err, "save")
		if !errs.HasCode(got, c.want) {
			t.Errorf("%s (%v): mapped to %v, want %s", c.name, c.err, got, c.want)
		}
		if !errors.Is(got, c.err) {
			t.Errorf("%s: the cause is lost", c.name)
		}
	}
	// A constraint is a programming matter: it stays untyped.
	uniq := driverErr(t, "file:"+filepath.Join(d, "u.db"), "CREATE TABLE u(x UNIQUE)", "INSERT INTO u VALUES (1)", "INSERT INTO u VALUES (1)")
	if errs.As(mapErr(uniq, "save")).Code != errs.Internal {
		t.Errorf("constraint: %v", mapErr(uniq, "save"))
	}
}

// TestIOErrorOnFullDiskIsDiskFull: a real disk I/O error met while the
// data folder's file system is full is ERR_DISK_FULL; the same error with
// room left is not.
func TestIOErrorOnFullDiskIsDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small file system needs root")
	}
	t.Parallel()
	d := t.TempDir()
	p := filepath.Join(d, "journal.db")
	driverErr(t, "file:"+p, "CREATE TABLE a(x)", "SELECT nothing")
	os.Mkdir(p+"-journal", 0o755)
	ioerr := driverErr(t, "file:"+p, "INSERT INTO a VALUES (1)")

	roomy := &Store{dir: d}
	if got := roomy.mapErr(ioerr, "save"); !errs.HasCode(got, errs.RegistryUpdateFailed) {
		t.Errorf("with room left: %v", got)
	}
	full := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", full).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", full).Run() })
	f, err := os.Create(filepath.Join(full, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	_, werr := f.Write(make([]byte, 2<<20))
	f.Close()
	if werr == nil {
		t.Fatal("the small file system did not fill")
	}
	if got := (&Store{dir: full}).mapErr(ioerr, "save"); !errs.HasCode(got, errs.DiskFull) {
		t.Errorf("on a full disk: %v", got)
	}
}
