// Package modelpack finds the face models on disk and checks them against
// the manifest (models/models.json): every file must exist and match its
// sha256 before a session is created, so a wrong or truncated download is
// reported as ERR_MODEL_MISSING / ERR_MODEL_CHECKSUM naming the file,
// instead of surfacing as an obscure ONNX Runtime load error.
//
// The folder is, in order: $CASTSCOPE_MODELS; models/ beside the
// executable; models/ in the working directory or one of its parents
// (development checkouts); {data}/models.
package modelpack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"castscope/backend/atomicfile"
	"castscope/backend/errs"
	"castscope/models"
)

// Model is one entry of models.json.
type Model struct {
	Name    string            `json:"name"`
	Role    string            `json:"role"`
	File    string            `json:"file"`
	SHA256  string            `json:"sha256"`
	Size    int64             `json:"size"`
	Licence string            `json:"licence"`
	Source  string            `json:"source"`
	URL     string            `json:"url"`
	IO      map[string]string `json:"io"`
}

// Pack is the parsed manifest.
type Pack struct {
	Name   string  `json:"pack"`
	Models []Model `json:"models"`
}

// Status is the result of checking one model file.
type Status struct {
	Name    string    `json:"name"`
	File    string    `json:"file"`
	Path    string    `json:"path"`
	OK      bool      `json:"ok"`
	Problem string    `json:"problem,omitempty"`
	Code    errs.Code `json:"code,omitempty"`
}

// Default returns the embedded manifest.
func Default() Pack {
	var p Pack
	if err := json.Unmarshal(models.Manifest, &p); err != nil {
		panic(fmt.Sprintf("modelpack: embedded models.json is invalid: %v", err))
	}
	return p
}

// Find returns the model called name.
func (p Pack) Find(name string) (Model, bool) {
	for _, m := range p.Models {
		if m.Name == name {
			return m, true
		}
	}
	return Model{}, false
}

// Dir returns the folder the models are read from (see the package doc).
// dataDir may be empty.
func Dir(dataDir string) string {
	if d := os.Getenv("CASTSCOPE_MODELS"); d != "" {
		return d
	}
	var candidates []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "models"))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			candidates = append(candidates, filepath.Join(d, "models"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if dataDir != "" {
		candidates = append(candidates, filepath.Join(dataDir, "models"))
	}
	first := Default().Models[0].File
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(c, first)); err == nil {
			return c
		}
	}
	if dataDir != "" {
		return filepath.Join(dataDir, "models")
	}
	if len(candidates) > 0 {
		return candidates[0]
	}
	return "models"
}

// hashCache avoids re-hashing an unchanged file (same path, size, mtime).
var hashCache sync.Map // key string → sum string

// Check verifies one model file in dir: present, right size, right sha256.
// It returns the file's path, or a typed error naming the file.
func Check(dir string, m Model) (string, error) {
	path := filepath.Join(dir, m.File)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, errs.Wrap(errs.ModelMissing, err,
			fmt.Sprintf("Model file %s is missing.", path),
			"Run `make models`, or set CASTSCOPE_MODELS to the folder that holds the models.")
	}
	if err != nil {
		return path, errs.Wrap(errs.ModelMissing, err, fmt.Sprintf("Model file %s cannot be read.", path), "Check the file's permissions.")
	}
	if st.IsDir() {
		return path, errs.New(errs.ModelMissing, fmt.Sprintf("Model path %s is a folder, not a file.", path), "Run `make models`.")
	}
	key := fmt.Sprintf("%s|%d|%d", path, st.Size(), st.ModTime().UnixNano())
	sum, ok := hashCache.Load(key)
	if !ok {
		s, err := fileSHA256(path)
		if err != nil {
			return path, errs.Wrap(errs.ModelMissing, err, fmt.Sprintf("Model file %s cannot be read.", path), "Check the file's permissions.")
		}
		hashCache.Store(key, s)
		sum = s
	}
	if sum != m.SHA256 {
		return path, errs.New(errs.ModelChecksum,
			fmt.Sprintf("Model file %s has sha256 %s, expected %s (%d bytes expected, %d found).", path, sum, m.SHA256, m.Size, st.Size()),
			"The file is damaged or a different model. Run `make models` to install the right one.")
	}
	return path, nil
}

// Verify checks every model of the pack in dir.
func (p Pack) Verify(dir string) []Status {
	out := make([]Status, 0, len(p.Models))
	for _, m := range p.Models {
		path, err := Check(dir, m)
		st := Status{Name: m.Name, File: m.File, Path: path, OK: err == nil}
		if err != nil {
			e := errs.As(err)
			st.Problem, st.Code = e.Message, e.Code
		}
		out = append(out, st)
	}
	return out
}

// Install copies every model from src into dir, verifying sha256 before a
// file is renamed into place. It keeps a file that is already right.
func (p Pack) Install(src, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("modelpack: create %s: %w", dir, err)
	}
	for _, m := range p.Models {
		if _, err := Check(dir, m); err == nil {
			continue
		}
		from := filepath.Join(src, m.File)
		if _, srcErr := Check(src, m); srcErr != nil {
			if m.URL == "" {
				return srcErr
			}
			if err := download(m.URL, filepath.Join(dir, m.File)); err != nil {
				return errs.Wrap(errs.ModelMissing, err, fmt.Sprintf("Model %s is not in %s and its download failed.", m.File, src), "Set CASTSCOPE_MODEL_SOURCE to a folder holding the models.")
			}
		} else if err := copyAtomic(from, filepath.Join(dir, m.File)); err != nil {
			return fmt.Errorf("modelpack: install %s: %w", m.File, err)
		}
		if _, err := Check(dir, m); err != nil {
			return err
		}
	}
	return nil
}

func download(url, to string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return atomicfile.WriteFrom(to, resp.Body)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyAtomic(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.WriteFrom(to, in)
}
