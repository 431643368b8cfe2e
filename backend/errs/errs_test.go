package errs

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestCodeOfAndAs(t *testing.T) {
	typed := Wrap(VideoUnreadable, errors.New("moov atom not found"), "The file is not a video.", "Check the file.")
	wrapped := fmt.Errorf("pipeline: validate: %w", typed)
	if got := CodeOf(wrapped); got != VideoUnreadable {
		t.Errorf("CodeOf(wrapped) = %s", got)
	}
	if got := CodeOf(errors.New("boom")); got != Internal {
		t.Errorf("CodeOf(untyped) = %s, want ERR_INTERNAL", got)
	}
	if CodeOf(nil) != "" || As(nil) != nil {
		t.Error("nil must stay nil")
	}
	e := As(errors.New("secret detail"))
	if e.Code != Internal || e.Message == "secret detail" {
		t.Errorf("untyped error leaks its text to the user: %+v", e)
	}
	if !errors.Is(wrapped, &Error{Code: VideoUnreadable}) || errors.Is(wrapped, &Error{Code: DiskFull}) {
		t.Error("errors.Is must match on the code alone")
	}
	if !HasCode(Wrap(Canceled, typed, "x", ""), VideoUnreadable) || HasCode(typed, DiskFull) {
		t.Error("HasCode must search the whole chain")
	}
}

func TestFSMapsErrno(t *testing.T) {
	cases := []struct {
		err  error
		want Code
	}{
		{&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, DiskFull},
		{&os.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}, DiskFull},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.EROFS}, ReadOnly},
		{&os.PathError{Op: "open", Path: "x", Err: fs.ErrPermission}, ReadOnly},
		{&os.PathError{Op: "rename", Path: "x", Err: syscall.EIO}, ArtifactWriteFailed},
		{New(Canceled, "stop", ""), Canceled},
	}
	for _, c := range cases {
		if got := CodeOf(FS(c.err, "/data/x.parquet")); got != c.want {
			t.Errorf("FS(%v) = %s, want %s", c.err, got, c.want)
		}
	}
	if FS(nil, "x") != nil {
		t.Error("FS(nil) must be nil")
	}
	if e := As(FS(&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, "/data/x.parquet")); e.Hint == "" || !strings.Contains(e.Message, "/data/x.parquet") {
		t.Errorf("disk-full error must name the path and hint: %+v", e)
	}
}

// TestCodesListsEveryCode reads errs.go's Code constants and checks Codes
// returns each once, in declaration order.
func TestCodesListsEveryCode(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errs.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []Code
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for _, v := range vs.Values {
				s, _ := strconv.Unquote(v.(*ast.BasicLit).Value)
				declared = append(declared, Code(s))
			}
		}
	}
	if len(declared) < 20 || !slices.Equal(Codes(), declared) {
		t.Errorf("Codes() = %v\nerrs.go declares %v", Codes(), declared)
	}
}
