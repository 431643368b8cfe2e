package sqlite

import (
	"castscope/backend/harvest"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/identity"
)

// kindCuration is the export of an episode's curation log,
// data/harvest/{key}/curation.json (the operations in effect, in order).
const kindCuration = "curation"

// AppendCuration appends the operations of one user action to the
// curation log of episode key, in one transaction, and returns them with
// their sequence numbers and time. Several operations share a Group (the
// first one's sequence number): undo takes them back as one step.
func (s *Store) AppendCuration(ctx context.Context, key string, ops ...identity.Op) ([]identity.Op, error) {
	out, _, err := s.appendCuration(ctx, "append curation", key, ops, len(ops) > 1, false)
	return out, err
}

// ImportCuration appends ops to key's log, each its own undo step, in one
// transaction, only when the episode never had a log (false otherwise):
// the one-time import of a curation.json written by an older version.
func (s *Store) ImportCuration(ctx context.Context, key string, ops []identity.Op) (bool, error) {
	_, ok, err := s.appendCuration(ctx, "import curation", key, ops, false, true)
	return ok, err
}

func (s *Store) appendCuration(ctx context.Context, what, key string, ops []identity.Op, group, onlyNew bool) ([]identity.Op, bool, error) {
	if len(ops) == 0 {
		return nil, false, nil // nothing to write (nor to export)
	}
	out := make([]identity.Op, len(ops))
	for i, op := range ops {
		if err := op.Validate(); err != nil {
			return nil, false, err
		}
		op.Seq, op.Group, op.At = 0, 0, s.now().UTC()
		out[i] = op
	}
	done := false
	err := s.write(ctx, what, func(tx *sql.Tx, d dirtySet) error {
		if _, err := loadEpisode(ctx, tx, key); errors.Is(err, errNoRows) {
			return notRegistered(key)
		} else if err != nil {
			return err
		}
		if onlyNew {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM curation_ops WHERE episode_key=?`, key).Scan(&n); err != nil || n > 0 {
				return err
			}
		}
		for i := range out {
			if group && i > 0 {
				out[i].Group = out[0].Seq
			}
			body, err := json.Marshal(out[i])
			if err != nil {
				return fmt.Errorf("sqlite: encode curation op: %w", err)
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO curation_ops (episode_key, at, kind, op) VALUES (?, ?, ?, ?)`,
				key, episode.FormatTime(out[i].At), string(out[i].Kind), string(body))
			if err != nil {
				return err
			}
			if out[i].Seq, err = res.LastInsertId(); err != nil {
				return err
			}
			if group && i == 0 {
				// The group is named after its first operation.
				out[0].Group = out[0].Seq
				if body, err = json.Marshal(out[0]); err == nil {
					_, err = tx.ExecContext(ctx, `UPDATE curation_ops SET op=? WHERE seq=?`, string(body), out[0].Seq)
				}
				if err != nil {
					return err
				}
			}
		}
		done = true
		d[dirtyKey{kindCuration, key}] = true
		return nil
	})
	if err != nil || !done {
		return nil, false, err
	}
	return out, true, nil
}

// Curation returns the operations in effect for episode key (undone ones
// left out), oldest first.
func (s *Store) Curation(ctx context.Context, key string) ([]identity.Op, error) {
	return curationOps(ctx, s.r, key)
}

func curationOps(ctx context.Context, q querier, key string) ([]identity.Op, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, op FROM curation_ops WHERE episode_key=? AND undone_at IS NULL ORDER BY seq`, key)
	if err != nil {
		return nil, mapErr(err, "read curation")
	}
	defer rows.Close()
	var ops []identity.Op
	for rows.Next() {
		var seq int64
		var body string
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, mapErr(err, "read curation")
		}
		var op identity.Op
		if err := json.Unmarshal([]byte(body), &op); err != nil {
			return nil, fmt.Errorf("sqlite: curation op %d of %s: %w", seq, key, err)
		}
		op.Seq = seq
		ops = append(ops, op)
	}
	return ops, mapErr(rows.Err(), "read curation")
}

// CurationLogged reports whether episode key has ever had a curation
// operation (undone ones included).
func (s *Store) CurationLogged(ctx context.Context, key string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM curation_ops WHERE episode_key=?`, key).Scan(&n)
	return n > 0, mapErr(err, "count curation")
}

// UndoCuration marks the newest step of the log in effect as undone (the
// newest operation, with the operations of its group) and returns them,
// newest first; none when there is nothing to undo. The rows stay in the
// log.
func (s *Store) UndoCuration(ctx context.Context, key string) ([]identity.Op, error) {
	var undone []identity.Op
	err := s.write(ctx, "undo curation", func(tx *sql.Tx, d dirtySet) error {
		undone = nil
		ops, err := curationOps(ctx, tx, key)
		if err != nil || len(ops) == 0 {
			return err
		}
		last := ops[len(ops)-1]
		at := episode.FormatTime(s.now())
		for i := len(ops) - 1; i >= 0; i-- {
			op := ops[i]
			if op.Seq != last.Seq && (last.Group == 0 || op.Group != last.Group) {
				break
			}
			if _, err := tx.ExecContext(ctx, `UPDATE curation_ops SET undone_at=? WHERE seq=?`, at, op.Seq); err != nil {
				return err
			}
			undone = append(undone, op)
		}
		d[dirtyKey{kindCuration, key}] = true
		return nil
	})
	return undone, err
}

func (s *Store) exportCuration(ctx context.Context, q querier, key string) error {
	if err := episode.ValidateKey(key); err != nil {
		return err
	}
	ops, err := curationOps(ctx, q, key)
	if err != nil {
		return err
	}
	if ops == nil {
		ops = []identity.Op{}
	}
	return s.writeJSON(filepath.Join(harvest.Dir(s.dir, key), harvest.CurationFile), ops)
}

// ---- facebank ---------------------------------------------------------

// AddHeadshot stores a headshot of show's cast list. The same image
// (by sha256) added twice to one show is ERR_USAGE naming the file.
func (s *Store) AddHeadshot(ctx context.Context, h identity.Headshot) (identity.Headshot, error) {
	h.Show, h.Name = strings.TrimSpace(h.Show), strings.TrimSpace(h.Name)
	if h.Show == "" || h.Name == "" || len(h.Embedding) == 0 {
		return h, errs.New(errs.Usage, fmt.Sprintf("The headshot %s needs a show, a name and a face.", filepath.Base(h.File)), "Add it again from the Cast view.")
	}
	h.AddedAt = s.now().UTC()
	err := s.write(ctx, "add headshot", func(tx *sql.Tx, d dirtySet) error {
		var other string
		err := tx.QueryRowContext(ctx, `SELECT name FROM headshots WHERE show=? AND sha256=?`, h.Show, h.SHA256).Scan(&other)
		if err == nil {
			return errs.New(errs.Usage, fmt.Sprintf("The headshot %s is already in the cast list of %s (as %s).", filepath.Base(h.File), h.Show, other), "Rename that entry instead of adding the photo again.")
		}
		if !errors.Is(err, errNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO headshots (show, name, file, sha256, embedding, added_at) VALUES (?, ?, ?, ?, ?, ?)`,
			h.Show, h.Name, h.File, h.SHA256, encodeVec(h.Embedding), episode.FormatTime(h.AddedAt))
		if err != nil {
			return err
		}
		h.ID, err = res.LastInsertId()
		return err
	})
	return h, err
}

// Headshots returns the cast list of show, oldest first.
func (s *Store) Headshots(ctx context.Context, show string) ([]identity.Headshot, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, show, name, file, sha256, embedding, added_at FROM headshots WHERE show=? ORDER BY id`, show)
	if err != nil {
		return nil, mapErr(err, "read headshots")
	}
	defer rows.Close()
	var out []identity.Headshot
	for rows.Next() {
		var h identity.Headshot
		var emb []byte
		var at string
		if err := rows.Scan(&h.ID, &h.Show, &h.Name, &h.File, &h.SHA256, &emb, &at); err != nil {
			return nil, mapErr(err, "read headshots")
		}
		h.Embedding, h.AddedAt = decodeVec(emb), parseTime(at)
		out = append(out, h)
	}
	return out, mapErr(rows.Err(), "read headshots")
}

// RenameHeadshot changes the name of headshot id.
func (s *Store) RenameHeadshot(ctx context.Context, id int64, name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return errs.New(errs.Usage, "A cast-list entry needs a name.", "Type the person's name.")
	}
	return s.write(ctx, "rename headshot", func(tx *sql.Tx, d dirtySet) error {
		return oneRow(tx.ExecContext(ctx, `UPDATE headshots SET name=? WHERE id=?`, name, id))(id)
	})
}

// RemoveHeadshot deletes headshot id.
func (s *Store) RemoveHeadshot(ctx context.Context, id int64) error {
	return s.write(ctx, "remove headshot", func(tx *sql.Tx, d dirtySet) error {
		return oneRow(tx.ExecContext(ctx, `DELETE FROM headshots WHERE id=?`, id))(id)
	})
}

func oneRow(res sql.Result, err error) func(id int64) error {
	return func(id int64) error {
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.Usage, fmt.Sprintf("There is no cast-list entry %d.", id), "Reload the Cast view.")
		}
		return nil
	}
}

func encodeVec(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func decodeVec(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
