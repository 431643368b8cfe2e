// Package modelpack says which face models Castscope runs and hands their
// bytes, checked, to the code that loads them.
//
// The default pack is built into the binary (package models: models.json
// and the two ONNX files), so an installed or copied castscope needs no
// models folder. A folder named by the Settings (Models folder) or by
// $CASTSCOPE_MODELS replaces it: every file of the manifest must be there
// and match its sha256, or loading fails with ERR_MODEL_MISSING /
// ERR_MODEL_CHECKSUM naming the file, instead of surfacing as an obscure
// ONNX Runtime load error. There is no silent fall-back from a folder the
// user chose to the built-in pack: what runs is what the user sees.
//
// The built-in bytes are hashed once per process (they cannot change), a
// folder's files once per path, size and modification time.
package modelpack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"castscope/backend/errs"
	"castscope/models"
)

// EnvModels names the environment variable that points at a models folder.
const EnvModels = "CASTSCOPE_MODELS"

// Where a model's bytes come from (Status.Origin, Loaded.Origin).
const (
	OriginBuiltIn = "built in"
	OriginFolder  = "folder"
)

// Model is one entry of models.json.
type Model struct {
	Name         string            `json:"name"`
	Role         string            `json:"role"`
	File         string            `json:"file"`
	SHA256       string            `json:"sha256"`
	Size         int64             `json:"size"`
	Licence      string            `json:"licence"`
	LicenceFile  string            `json:"licence_file"`
	Copyright    string            `json:"copyright"`
	TrainingData string            `json:"training_data"`
	Source       string            `json:"source"`
	IO           map[string]string `json:"io"`
}

// Pack is the parsed manifest.
type Pack struct {
	Name   string  `json:"pack"`
	Models []Model `json:"models"`
}

// Status is the result of checking one model: where it comes from, its
// licence and training data (a studio judges commercial use by both), and
// whether it can be used.
type Status struct {
	Name         string    `json:"name"`
	File         string    `json:"file"`
	Origin       string    `json:"origin"` // OriginBuiltIn or OriginFolder
	Path         string    `json:"path"`   // the file's path; "" when built in
	Licence      string    `json:"licence"`
	TrainingData string    `json:"training_data"`
	OK           bool      `json:"ok"`
	Problem      string    `json:"problem,omitempty"`
	Code         errs.Code `json:"code,omitempty"`
}

// Loaded is a model's checked bytes, ready for ONNX Runtime.
type Loaded struct {
	Model
	Origin string
	Path   string // "" when built in
	Data   []byte
}

// Label names the model in messages and logs: its path, or
// "built-in FILE".
func (l Loaded) Label() string {
	if l.Path != "" {
		return l.Path
	}
	return "built-in " + l.File
}

var defaultPack = sync.OnceValue(func() Pack {
	var p Pack
	if err := json.Unmarshal(models.Manifest, &p); err != nil {
		panic(fmt.Sprintf("modelpack: embedded models.json is invalid: %v", err))
	}
	return p
})

// Default returns the built-in manifest.
func Default() Pack { return defaultPack() }

// Find returns the model called name.
func (p Pack) Find(name string) (Model, bool) {
	for _, m := range p.Models {
		if m.Name == name {
			return m, true
		}
	}
	return Model{}, false
}

// Dir returns the models folder named by $CASTSCOPE_MODELS, or "" for the
// built-in pack.
func Dir() string { return os.Getenv(EnvModels) }

// Load returns the checked bytes of m: from dir when dir is not "",
// otherwise built in. Errors are typed and name the file.
func Load(dir string, m Model) (Loaded, error) {
	if dir == "" {
		data, err := builtIn(m)
		return Loaded{Model: m, Origin: OriginBuiltIn, Data: data}, err
	}
	path := filepath.Join(dir, m.File)
	data, err := readChecked(path, m)
	return Loaded{Model: m, Origin: OriginFolder, Path: path, Data: data}, err
}

// builtInSums caches the sha256 of each embedded file: computed once.
var builtInSums sync.Map // file → error (nil when it matches)

func builtIn(m Model) ([]byte, error) {
	data, err := models.Files.ReadFile(m.File)
	if err != nil {
		return nil, errs.Wrap(errs.ModelMissing, err,
			fmt.Sprintf("Model %s is not built into this castscope.", m.File),
			"Set "+EnvModels+" (or Settings → Models folder) to a folder that holds it.")
	}
	if v, ok := builtInSums.Load(m.File); ok {
		if v != nil {
			return nil, v.(error)
		}
		return data, nil
	}
	err = checkSum(data, m, "built-in "+m.File)
	if err == nil {
		builtInSums.Store(m.File, nil)
		return data, nil
	}
	builtInSums.Store(m.File, err)
	return nil, err
}

// fileSums avoids re-hashing an unchanged file (same path, size, mtime).
var fileSums sync.Map // key string → sum string

func readChecked(path string, m Model) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.Wrap(errs.ModelMissing, err,
			fmt.Sprintf("Model file %s is missing.", path),
			"Put "+m.File+" in that folder, or clear the models folder (Settings, "+EnvModels+") to use the built-in models.")
	}
	if err != nil {
		return nil, errs.Wrap(errs.ModelMissing, err, fmt.Sprintf("Model file %s cannot be read.", path), "Check the file's permissions.")
	}
	if st.IsDir() {
		return nil, errs.New(errs.ModelMissing, fmt.Sprintf("Model path %s is a folder, not a file.", path),
			"Point the models folder at the folder that holds "+m.File+".")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errs.Wrap(errs.ModelMissing, err, fmt.Sprintf("Model file %s cannot be read.", path), "Check the file's permissions.")
	}
	key := fmt.Sprintf("%s|%d|%d", path, st.Size(), st.ModTime().UnixNano())
	if sum, ok := fileSums.Load(key); ok && sum == m.SHA256 {
		return data, nil
	}
	if err := checkSum(data, m, path); err != nil {
		return nil, err
	}
	fileSums.Store(key, m.SHA256)
	return data, nil
}

func checkSum(data []byte, m Model, label string) error {
	h := sha256.Sum256(data)
	if sum := hex.EncodeToString(h[:]); sum != m.SHA256 {
		return errs.New(errs.ModelChecksum,
			fmt.Sprintf("Model file %s has sha256 %s, expected %s (%d bytes expected, %d found).", label, sum, m.SHA256, m.Size, len(data)),
			"The file is damaged or a different model. Replace it with the right one, or clear the models folder to use the built-in models.")
	}
	return nil
}

// Verify checks every model of the pack from dir ("" = built in).
func (p Pack) Verify(dir string) []Status {
	out := make([]Status, 0, len(p.Models))
	for _, m := range p.Models {
		l, err := Load(dir, m)
		st := Status{Name: m.Name, File: m.File, Origin: l.Origin, Path: l.Path,
			Licence: m.Licence, TrainingData: m.TrainingData, OK: err == nil}
		if err != nil {
			e := errs.As(err)
			st.Problem, st.Code = e.Message, e.Code
		}
		out = append(out, st)
	}
	return out
}

// Describe says where a model comes from in one line for reports:
// "built in" or "folder /path/file".
func (s Status) Describe() string {
	if s.Origin == OriginFolder {
		return "folder " + s.Path
	}
	return s.Origin
}
