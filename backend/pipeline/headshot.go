package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"gocv.io/x/gocv"

	"castscope/backend/errs"
	"castscope/backend/face"
	"castscope/backend/identity"
)

// headshotMinRel: a face less than this fraction of the largest face's
// height is background (a crowd behind the person), not a second person.
const headshotMinRel = 0.5

// Headshots turns cast-list photos into facebank entries with the same
// models the detect stage uses. Open it once for a batch of files.
type Headshots struct {
	det *face.Detector
	emb *face.Embedder
}

// OpenHeadshots loads the models (on the best provider; the "detail"
// preset, since a headshot is one still image).
func OpenHeadshots(env Env) (*Headshots, error) {
	det, emb, _, err := openModels(env, face.PresetDetail, face.SessionConfig{}, func(string, ...any) {})
	if err != nil {
		return nil, err
	}
	return &Headshots{det: det, emb: emb}, nil
}

// Close releases the models.
func (h *Headshots) Close() error {
	err := h.det.Close()
	if e := h.emb.Close(); err == nil {
		err = e
	}
	return err
}

// Headshot reads the image at path, finds its one face and returns the
// entry for show (named name), without an ID. A file that is not an image,
// shows no face or several faces is ERR_HEADSHOT_INVALID naming the file.
func (h *Headshots) Headshot(show, name, path string) (identity.Headshot, error) {
	base := filepath.Base(path)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return identity.Headshot{}, errs.New(errs.InputNotFound, fmt.Sprintf("The headshot %s does not exist.", path), "Check the path, or choose the file again.")
	}
	if err != nil {
		return identity.Headshot{}, errs.Wrap(errs.HeadshotInvalid, err, fmt.Sprintf("The headshot %s cannot be read.", base), "Check that the file is readable.")
	}
	img, err := gocv.IMDecode(raw, gocv.IMReadColor)
	if err != nil || img.Empty() {
		img.Close()
		return identity.Headshot{}, errs.New(errs.HeadshotInvalid, fmt.Sprintf("The headshot %s is not an image Castscope can read.", base), "Use a JPEG or PNG photo.")
	}
	defer img.Close()
	found, err := h.det.Detect([]gocv.Mat{img})
	if err != nil {
		return identity.Headshot{}, err
	}
	faces := mainFaces(found[0])
	var vecs [][]float32
	if len(faces) == 1 {
		crop := face.Align(img, faces[0])
		v, err := h.emb.Embed([]gocv.Mat{crop})
		crop.Close()
		if err != nil {
			return identity.Headshot{}, err
		}
		vecs = v
	} else {
		vecs = make([][]float32, len(faces)) // NewReference names the count
	}
	ref, err := identity.NewReference(name, base, vecs)
	if err != nil {
		return identity.Headshot{}, err
	}
	sum := sha256.Sum256(raw)
	return identity.Headshot{Show: show, Name: ref.Name, File: path, SHA256: hex.EncodeToString(sum[:]), Embedding: ref.Embedding}, nil
}

// mainFaces drops faces much smaller than the largest one.
func mainFaces(found []face.Face) []face.Face {
	if len(found) == 0 {
		return nil
	}
	big := slices.MaxFunc(found, func(a, b face.Face) int {
		switch {
		case a.Height() < b.Height():
			return -1
		case a.Height() > b.Height():
			return 1
		}
		return 0
	}).Height()
	var out []face.Face
	for _, f := range found {
		if f.Height() >= headshotMinRel*big {
			out = append(out, f)
		}
	}
	return out
}
