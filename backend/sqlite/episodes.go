package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"castscope/backend/episode"
	"castscope/backend/errs"
)

func notRegistered(key string) error {
	return errs.New(errs.EpisodeNotRegistered, fmt.Sprintf("The episode %q is not registered.", key),
		"Add the video first (drop it on the window or run `castscope add FILE`).")
}

// RegisterEpisode registers the video at path. The same file (same path,
// size and modification time, or same size and first/last MiB) returns
// the existing episode with existing=true. ERR_INPUT_NOT_FOUND for a
// missing file or a folder; ERR_INVALID_EPISODE_KEY for a hostile name.
func (s *Store) RegisterEpisode(ctx context.Context, path string) (ep episode.Episode, existing bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ep, false, errs.Wrap(errs.InputNotFound, err, fmt.Sprintf("Cannot resolve %s.", path), "Check the path.")
	}
	st, err := os.Stat(abs)
	if err != nil || st.IsDir() {
		if err == nil {
			err = fs.ErrInvalid
		}
		return ep, false, errs.Wrap(errs.InputNotFound, err, fmt.Sprintf("%s is not a video file Castscope can read.", path), "Check that the file exists and is not a folder.")
	}
	key, err := episode.Normalize(filepath.Base(abs))
	if err != nil {
		return ep, false, err
	}
	size, mtime := st.Size(), st.ModTime().UTC().Truncate(1e6)
	// Same path, size and mtime: the same file, no hashing needed.
	var k string
	err = s.r.QueryRowContext(ctx, `SELECT key FROM episodes WHERE video_path=? AND size_bytes=? AND mod_time=?`, abs, size, fmtTime(mtime)).Scan(&k)
	if err == nil {
		ep, err := s.Episode(ctx, k)
		return ep, true, err
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return ep, false, mapErr(err, "find episode")
	}
	fp, err := contentHash(abs, size)
	if err != nil {
		return ep, false, errs.Wrap(errs.VideoUnreadable, err, fmt.Sprintf("Cannot read %s.", path), "Check the file's permissions.")
	}
	var out episode.Episode
	err = s.write(ctx, "register episode", func(tx *sql.Tx, d dirtySet) error {
		var found string
		err := tx.QueryRowContext(ctx, `SELECT key FROM episodes WHERE fingerprint=? AND size_bytes=? ORDER BY created_at LIMIT 1`, fp, size).Scan(&found)
		if err == nil {
			existing = true
			out, err = loadEpisode(ctx, tx, found)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		final := key
		for n := 2; ; n++ {
			var c int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM episodes WHERE key=?`, final).Scan(&c); err != nil {
				return err
			}
			if c == 0 {
				break
			}
			final = episode.WithSuffix(key, n)
		}
		now := s.now().UTC().Truncate(1e6)
		if _, err := tx.ExecContext(ctx, `INSERT INTO episodes (key, title, video_path, size_bytes, mod_time, fingerprint, created_at) VALUES (?,?,?,?,?,?,?)`,
			final, episode.TitleOf(abs), abs, size, fmtTime(mtime), fp, fmtTime(now)); err != nil {
			return err
		}
		d.episode(final)
		out, err = loadEpisode(ctx, tx, final)
		return err
	})
	return out, existing, err
}

// contentHash is sha256 over the size and the first and last MiB.
func contentHash(path string, size int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, size)
	const mib = 1 << 20
	if _, err := io.CopyN(h, f, mib); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if size > 2*mib {
		if _, err := f.Seek(size-mib, io.SeekStart); err != nil {
			return "", err
		}
		if _, err := io.CopyN(h, f, mib); err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
	} else if size > mib {
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Episode returns the episode key (ERR_EPISODE_NOT_REGISTERED if unknown).
func (s *Store) Episode(ctx context.Context, key string) (episode.Episode, error) {
	if err := episode.ValidateKey(key); err != nil {
		return episode.Episode{}, err
	}
	ep, err := loadEpisode(ctx, s.r, key)
	if errors.Is(err, sql.ErrNoRows) {
		return ep, notRegistered(key)
	}
	return ep, mapErr(err, "read episode")
}

// Episodes returns every episode, oldest first.
func (s *Store) Episodes(ctx context.Context) ([]episode.Episode, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key FROM episodes ORDER BY created_at, key`)
	if err != nil {
		return nil, mapErr(err, "list episodes")
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, mapErr(err, "list episodes")
		}
		keys = append(keys, k)
	}
	rows.Close()
	out := make([]episode.Episode, 0, len(keys))
	for _, k := range keys {
		ep, err := loadEpisode(ctx, s.r, k)
		if err != nil {
			return nil, mapErr(err, "read episode")
		}
		out = append(out, ep)
	}
	return out, nil
}

func loadEpisode(ctx context.Context, q querier, key string) (episode.Episode, error) {
	var ep episode.Episode
	var mod, created string
	var video sql.NullString
	err := q.QueryRowContext(ctx, `SELECT key, title, video_path, size_bytes, mod_time, fingerprint, video, created_at FROM episodes WHERE key=?`, key).
		Scan(&ep.Key, &ep.Title, &ep.VideoPath, &ep.SizeBytes, &mod, &ep.Fingerprint, &video, &created)
	if err != nil {
		return ep, err
	}
	ep.ModTime, ep.CreatedAt, ep.Video = parseTime(mod), parseTime(created), rawOrNil(video)
	ep.States = map[string]bool{}
	ep.Timestamps = map[string]*time.Time{}
	for _, st := range episode.States {
		ep.States[st] = false
		ep.Timestamps[st] = nil
	}
	rows, err := q.QueryContext(ctx, `SELECT flag, value, at FROM episode_states WHERE episode_key=?`, key)
	if err != nil {
		return ep, err
	}
	defer rows.Close()
	for rows.Next() {
		var flag string
		var v int
		var at sql.NullString
		if err := rows.Scan(&flag, &v, &at); err != nil {
			return ep, err
		}
		ep.States[flag] = v != 0
		ep.Timestamps[flag] = parseTimePtr(at)
	}
	return ep, rows.Err()
}

// SetEpisodeVideo stores the validate stage's probe result.
func (s *Store) SetEpisodeVideo(ctx context.Context, key string, video json.RawMessage) error {
	if err := episode.ValidateKey(key); err != nil {
		return err
	}
	if len(video) > 0 && !json.Valid(video) {
		return fmt.Errorf("sqlite: episode video: invalid JSON")
	}
	return s.write(ctx, "set episode video", func(tx *sql.Tx, d dirtySet) error {
		res, err := tx.ExecContext(ctx, `UPDATE episodes SET video=? WHERE key=?`, nullRaw(video), key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notRegistered(key)
		}
		d.episode(key)
		return nil
	})
}

// SetEpisodeState sets registry flag to v; the flag's timestamp is the
// time it became true (null while false).
func (s *Store) SetEpisodeState(ctx context.Context, key, flag string, v bool) error {
	if err := episode.ValidateKey(key); err != nil {
		return err
	}
	if flag == "" || !slices.Contains(episode.States, flag) && len(flag) > 40 {
		return fmt.Errorf("sqlite: bad registry flag %q", flag)
	}
	return s.write(ctx, "set episode state", func(tx *sql.Tx, d dirtySet) error {
		var c int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM episodes WHERE key=?`, key).Scan(&c); err != nil {
			return err
		}
		if c == 0 {
			return notRegistered(key)
		}
		var at any
		if v {
			at = fmtTime(s.now())
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO episode_states (episode_key, flag, value, at) VALUES (?,?,?,?)
			ON CONFLICT (episode_key, flag) DO UPDATE SET value=excluded.value, at=excluded.at`, key, flag, boolInt(v), at); err != nil {
			return err
		}
		d.episode(key)
		return nil
	})
}
