package sqlite

import (
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

// AppendCuration appends op to the curation log of episode key and returns
// it with its sequence number and time.
func (s *Store) AppendCuration(ctx context.Context, key string, op identity.Op) (identity.Op, error) {
	if err := op.Validate(); err != nil {
		return op, err
	}
	op.Seq, op.At = 0, s.now().UTC()
	body, err := json.Marshal(op)
	if err != nil {
		return op, fmt.Errorf("sqlite: encode curation op: %w", err)
	}
	err = s.write(ctx, "append curation", func(tx *sql.Tx, d dirtySet) error {
		if _, err := loadEpisode(ctx, tx, key); errors.Is(err, errNoRows) {
			return notRegistered(key)
		} else if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO curation_ops (episode_key, at, kind, op) VALUES (?, ?, ?, ?)`,
			key, fmtTime(op.At), string(op.Kind), string(body))
		if err != nil {
			return err
		}
		op.Seq, err = res.LastInsertId()
		d[dirtyKey{kindCuration, key}] = true
		return err
	})
	return op, err
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

// UndoCuration marks the newest operation in effect as undone and returns
// it; false when there is nothing to undo. The row stays in the log.
func (s *Store) UndoCuration(ctx context.Context, key string) (identity.Op, bool, error) {
	var op identity.Op
	found := false
	err := s.write(ctx, "undo curation", func(tx *sql.Tx, d dirtySet) error {
		var seq int64
		var body string
		err := tx.QueryRowContext(ctx, `SELECT seq, op FROM curation_ops WHERE episode_key=? AND undone_at IS NULL ORDER BY seq DESC LIMIT 1`, key).Scan(&seq, &body)
		if errors.Is(err, errNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(body), &op); err != nil {
			return fmt.Errorf("curation op %d: %w", seq, err)
		}
		op.Seq = seq
		if _, err := tx.ExecContext(ctx, `UPDATE curation_ops SET undone_at=? WHERE seq=?`, fmtTime(s.now()), seq); err != nil {
			return err
		}
		found = true
		d[dirtyKey{kindCuration, key}] = true
		return nil
	})
	return op, found, err
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
	return s.writeJSON(filepath.Join(s.dir, "data", "harvest", key, "curation.json"), ops)
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
			h.Show, h.Name, h.File, h.SHA256, encodeVec(h.Embedding), fmtTime(h.AddedAt))
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
