package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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

// RegisterEpisode registers the video at path; existing reports that the
// file was registered already and has not changed since.
//
// The fingerprint is the SHA-256 of every byte (HashFile). A file whose
// identity (size, mtime and ctime in ns, device, inode; fileStat) is the
// one recorded when its path was last hashed is not read again; any other
// file is hashed in full (registering a 4 GB file reads 4 GB). The same
// content anywhere returns the episode that has it. A file changed in
// place (new content at a registered path) updates that episode: new
// fingerprint, registry flags and probe result cleared, existing=false, so
// every stage runs again instead of being skipped on outputs of the old
// content. ERR_INPUT_NOT_FOUND for a missing file or a folder;
// ERR_INVALID_EPISODE_KEY for a hostile name; ERR_VIDEO_UNREADABLE when it
// cannot be read.
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
	// The same path, not touched since it was hashed: no hashing needed.
	var k string
	err = s.r.QueryRowContext(ctx, `SELECT key FROM episodes WHERE video_path=? AND file_stat=? AND content_hash!=''`, abs, fileStat(st)).Scan(&k)
	if err == nil {
		ep, err := s.Episode(ctx, k)
		return ep, true, err
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return ep, false, mapErr(err, "find episode")
	}
	c, err := s.readContent(ctx, abs, path)
	if err != nil {
		return ep, false, err
	}
	var out episode.Episode
	err = s.write(ctx, "register episode", func(tx *sql.Tx, d dirtySet) error {
		found, err := sameContent(ctx, tx, c)
		if err != nil {
			return err
		}
		if found != "" {
			existing = true
			if err := recordContent(ctx, tx, found, c, false); err != nil {
				return err
			}
			d.episode(found)
			out, err = loadEpisode(ctx, tx, found)
			return err
		}
		// New content at a registered path: the file was changed in place.
		err = tx.QueryRowContext(ctx, `SELECT key FROM episodes WHERE video_path=? ORDER BY created_at LIMIT 1`, abs).Scan(&found)
		if err == nil {
			if err := recordContent(ctx, tx, found, c, true); err != nil {
				return err
			}
			d.episode(found)
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO episodes (key, title, video_path, size_bytes, mod_time, fingerprint, content_hash, file_stat, created_at) VALUES (?,?,?,?,?,?,?,?,?)`,
			final, episode.TitleOf(abs), abs, c.size, episode.FormatTime(c.mtime), c.sum, c.sum, c.stat, episode.FormatTime(now)); err != nil {
			return err
		}
		d.episode(final)
		out, err = loadEpisode(ctx, tx, final)
		return err
	})
	return out, existing, err
}

// RefreshEpisode checks that the video of episode key still holds the
// content it was registered with, hashing it only when its identity
// (fileStat) moved. When the content changed, the episode takes the new
// fingerprint with its flags and probe result cleared (changed=true): its
// stages then run again rather than being skipped. Meant for the moment a
// job of the episode is submitted. ERR_INPUT_NOT_FOUND when the video is
// gone.
func (s *Store) RefreshEpisode(ctx context.Context, key string) (ep episode.Episode, changed bool, err error) {
	ep, err = s.Episode(ctx, key)
	if err != nil {
		return ep, false, err
	}
	st, err := os.Stat(ep.VideoPath)
	if err != nil || st.IsDir() {
		if err == nil {
			err = fs.ErrInvalid
		}
		return ep, false, errs.Wrap(errs.InputNotFound, err, fmt.Sprintf("The video of %s is gone from %s.", key, ep.VideoPath),
			"Put the file back, or add it again from where it is now.")
	}
	var stored, hashed string
	if err := s.r.QueryRowContext(ctx, `SELECT file_stat, content_hash FROM episodes WHERE key=?`, key).Scan(&stored, &hashed); err != nil {
		return ep, false, mapErr(err, "read episode")
	}
	if hashed != "" && stored == fileStat(st) {
		return ep, false, nil
	}
	c, err := s.readContent(ctx, ep.VideoPath, ep.VideoPath)
	if err != nil {
		return ep, false, err
	}
	err = s.write(ctx, "refresh episode", func(tx *sql.Tx, d dirtySet) error {
		var fp, have string
		if err := tx.QueryRowContext(ctx, `SELECT fingerprint, content_hash FROM episodes WHERE key=?`, key).Scan(&fp, &have); err != nil {
			return err
		}
		if have != "" {
			changed = have != c.sum
		} else {
			changed = fp != c.legacy
		}
		if err := recordContent(ctx, tx, key, c, changed); err != nil {
			return err
		}
		d.episode(key)
		ep, err = loadEpisode(ctx, tx, key)
		return err
	})
	return ep, changed, err
}

// content is what registration learns of a file by reading it.
type content struct {
	path   string
	size   int64
	mtime  time.Time
	stat   string // fileStat while it was hashed
	sum    string // SHA-256 of every byte
	legacy string // the fingerprint of earlier versions, when an episode still has one
}

func (s *Store) readContent(ctx context.Context, abs, shown string) (content, error) {
	c := content{path: abs}
	var err error
	c.sum, c.stat, c.size, err = hashFile(ctx, abs)
	if err == nil {
		var st fs.FileInfo
		if st, err = os.Stat(abs); err == nil {
			c.mtime = st.ModTime().UTC().Truncate(1e6)
		}
	}
	if err == nil {
		var legacyRows int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM episodes WHERE content_hash=''`).Scan(&legacyRows); err != nil {
			return c, mapErr(err, "find episode")
		}
		if legacyRows > 0 {
			c.legacy, err = legacyHash(abs, c.size)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return c, errs.Wrap(errs.Canceled, err, fmt.Sprintf("Reading %s was interrupted.", shown), "Add the file again.")
		}
		return c, errs.Wrap(errs.VideoUnreadable, err, fmt.Sprintf("Cannot read %s.", shown), "Check the file's permissions, and that it is not still being copied.")
	}
	return c, nil
}

// sameContent returns the episode holding c's content: one hashed in full
// to the same sum, else one of an earlier version with the same size and
// fingerprint (first and last MiB).
func sameContent(ctx context.Context, tx *sql.Tx, c content) (string, error) {
	var found string
	err := tx.QueryRowContext(ctx, `SELECT key FROM episodes WHERE content_hash=? AND size_bytes=? ORDER BY created_at LIMIT 1`, c.sum, c.size).Scan(&found)
	if errors.Is(err, sql.ErrNoRows) && c.legacy != "" {
		err = tx.QueryRowContext(ctx, `SELECT key FROM episodes WHERE content_hash='' AND fingerprint=? AND size_bytes=? ORDER BY created_at LIMIT 1`, c.legacy, c.size).Scan(&found)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return found, err
}

// recordContent stores what was read of episode key's file. Unchanged
// content: the file identity is remembered (when it is the episode's own
// path) so the next registration skips hashing; an episode of an earlier
// version keeps its fingerprint, so its results stay valid. Changed
// content: the new fingerprint, with the flags and the probe result
// cleared.
func recordContent(ctx context.Context, tx *sql.Tx, key string, c content, changed bool) error {
	if changed {
		if _, err := tx.ExecContext(ctx, `UPDATE episodes SET fingerprint=?, content_hash=?, file_stat=?, size_bytes=?, mod_time=?, video=NULL WHERE key=?`,
			c.sum, c.sum, c.stat, c.size, episode.FormatTime(c.mtime), key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE episode_states SET value=0, at=NULL WHERE episode_key=?`, key)
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE episodes SET content_hash=?,
		file_stat=CASE WHEN video_path=? THEN ? ELSE file_stat END,
		mod_time=CASE WHEN video_path=? THEN ? ELSE mod_time END WHERE key=?`,
		c.sum, c.path, c.stat, c.path, episode.FormatTime(c.mtime), key)
	return err
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
			at = episode.FormatTime(s.now())
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO episode_states (episode_key, flag, value, at) VALUES (?,?,?,?)
			ON CONFLICT (episode_key, flag) DO UPDATE SET value=excluded.value,
				at=CASE WHEN episode_states.value=excluded.value THEN episode_states.at ELSE excluded.at END`, key, flag, boolInt(v), at); err != nil {
			return err
		}
		d.episode(key)
		return nil
	})
}
