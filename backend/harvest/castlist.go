package harvest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"castscope/backend/atomicfile"
	"castscope/backend/errs"
	"castscope/backend/identity"
)

// castListEntry is one headshot of CastListFile, its embedding included
// (identity.Headshot leaves it out of JSON).
type castListEntry struct {
	identity.Headshot
	Embedding []float32 `json:"embedding"`
}

// WriteCastList writes the show's cast list beside an episode's artifacts,
// where a worker on another machine reads it (a remote run's payload
// carries no embeddings).
func WriteCastList(dir string, hs []identity.Headshot) error {
	out := make([]castListEntry, len(hs))
	for i, h := range hs {
		out[i] = castListEntry{Headshot: h, Embedding: h.Embedding}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("harvest: encode the cast list: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errs.FS(err, dir)
	}
	return atomicfile.Write(filepath.Join(dir, CastListFile), b)
}

// ReadCastList reads what WriteCastList wrote (none: nil).
func ReadCastList(dir string) ([]identity.Headshot, error) {
	path := filepath.Join(dir, CastListFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.FS(err, path)
	}
	var in []castListEntry
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, errs.Wrap(errs.ArtifactMissing, err, fmt.Sprintf("The cast list %s cannot be read.", path), "Run the episode again from the desktop.")
	}
	out := make([]identity.Headshot, len(in))
	for i, e := range in {
		out[i] = e.Headshot
		out[i].Embedding = e.Embedding
	}
	return out, nil
}
