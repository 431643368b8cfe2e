package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	msqlite "modernc.org/sqlite"

	"castscope/backend/atomicfile"
	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/job"
)

// LogLine is one stored log line.
type LogLine = job.LogLine

// DBName is the database file name inside the data folder.
const DBName = "castscope.db"

// Options configure Open. Zero values work.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// WriteFile replaces an export file (state.json, meta.json) with data;
	// nil: atomicfile.Write. Tests inject failures here.
	WriteFile func(path string, data []byte) error
	// MaxPageCount, when > 0, caps the database size (PRAGMA max_page_count);
	// tests use it to simulate a full disk.
	MaxPageCount int
}

// Store is the SQLite store: the registry, jobs, logs and throughput
// history. It implements job.Store. Safe for concurrent use.
type Store struct {
	dir       string
	w, r      *sql.DB
	now       func() time.Time
	log       *slog.Logger
	writeFile func(string, []byte) error

	readOnly  bool       // OpenReadOnly: no writer, no exports
	wmu       sync.Mutex // serializes write transactions
	logWrites int
	closed    bool

	exportRun    sync.Mutex // one export pass at a time
	expMu        sync.Mutex // guards the four fields below
	pending      dirtySet   // changed since their last export
	exported     []dirtyKey // exported: their dirty_exports rows go with the next commit
	failed       map[dirtyKey]bool
	exportErr    error
	kick         chan struct{}
	stop         chan struct{}
	exporterDone chan struct{}
}

var _ job.Store = (*Store)(nil)

type dirtyKey struct{ kind, id string }

const (
	kindEpisode = "episode"
	kindJob     = "job"
)

//go:embed migrations/*.sql
var migrations embed.FS

var sqliteHeader = []byte("SQLite format 3\x00")

// Open opens (creating) {dataDir}/castscope.db, applies migrations and
// writes the exports a crash or a full disk left owed. Typed errors:
// ERR_DATABASE_CORRUPT (the file is left untouched), ERR_READ_ONLY,
// ERR_DISK_FULL.
func Open(ctx context.Context, dataDir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, errs.FS(err, dataDir)
	}
	path := filepath.Join(dataDir, DBName)
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	if err := probeWritable(dataDir); err != nil {
		return nil, err
	}
	s := &Store{
		dir:       dataDir,
		now:       opts.Now,
		log:       opts.Logger,
		writeFile: opts.WriteFile,
		failed:    map[dirtyKey]bool{},
		pending:   dirtySet{},
		kick:      make(chan struct{}, 1),
		stop:      make(chan struct{}),

		exporterDone: make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.writeFile == nil {
		s.writeFile = atomicfile.Write
	}
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_time_format=sqlite"
	var err error
	s.w, err = sql.Open("sqlite", base+"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetConnMaxIdleTime(0)
	fail := func(err error) (*Store, error) {
		s.w.Close()
		if s.r != nil {
			s.r.Close()
		}
		return nil, err
	}
	if _, err := s.w.ExecContext(ctx, "SELECT count(*) FROM sqlite_master"); err != nil {
		return fail(s.mapErr(err, "open "+path))
	}
	if opts.MaxPageCount > 0 {
		if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count=%d", opts.MaxPageCount)); err != nil {
			return fail(s.mapErr(err, "limit size"))
		}
	}
	if err := s.migrate(ctx); err != nil {
		return fail(err)
	}
	s.r, err = sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		return fail(fmt.Errorf("sqlite: open readers: %w", err))
	}
	s.r.SetMaxOpenConns(4)
	if err := s.flushDirty(ctx); err != nil {
		s.log.Warn("exports owed from the last run could not be written", "error", err)
	}
	go s.exporter()
	return s, nil
}

// OpenReadOnly opens {dataDir}/castscope.db for commands that only read
// (inspect, export of reports): no migration, no writer connection, no
// export of state.json files, nothing created in the folder when it is not
// writable. The file is opened with mode=ro; when the folder cannot be
// written (a read-only mount, another user's folder) also immutable=1, as
// SQLite cannot then create the WAL index it needs to share the file (a
// write a crashed run left in the WAL is then not seen). Every write
// method returns ERR_READ_ONLY. Typed errors: ERR_INPUT_NOT_FOUND (no
// database in the folder), ERR_DATABASE_CORRUPT, ERR_USAGE (the database
// is older than this version: open it once read-write to upgrade it).
func OpenReadOnly(ctx context.Context, dataDir string, opts Options) (*Store, error) {
	path := filepath.Join(dataDir, DBName)
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		if err == nil {
			err = fs.ErrNotExist
		}
		return nil, errs.Wrap(errs.InputNotFound, err, fmt.Sprintf("There is no Castscope database in %s.", dataDir),
			"Check the data folder (--data), or add a video first.")
	}
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	s := &Store{
		dir:          dataDir,
		now:          opts.Now,
		log:          opts.Logger,
		readOnly:     true,
		failed:       map[dirtyKey]bool{},
		pending:      dirtySet{},
		stop:         make(chan struct{}),
		exporterDone: make(chan struct{}),
	}
	close(s.exporterDone)
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	dsn := "file:" + path + "?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)&_time_format=sqlite"
	immutable := probeWritable(dataDir) != nil
	have, err := s.openReader(ctx, dsn, immutable)
	if err != nil && !immutable && isIOErr(err) {
		// A full disk: SQLite cannot size the WAL index (castscope.db-shm)
		// that sharing the file needs. Read the file as it is instead;
		// only writes still in the WAL (a run in progress) are not seen.
		if st, serr := os.Stat(path + "-wal"); serr == nil && st.Size() > 0 {
			s.log.Warn("reading the database without its write-ahead log: the latest changes may be missing", "path", path, "error", err.Error())
		}
		have, err = s.openReader(ctx, dsn, true)
	}
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil, corrupt(path, err)
		}
		return nil, s.mapErr(err, "open "+path)
	}
	if want := latestMigration(); have < want {
		s.r.Close()
		return nil, errs.New(errs.Usage, fmt.Sprintf("The database %s was written by an older Castscope (schema %d, this version uses %d).", path, have, want),
			"Run a command that writes (such as `castscope run`) once to upgrade it, then retry.")
	}
	return s, nil
}

// openReader opens the read-only pool on dsn (immutable: the file as it
// is, without the WAL index) and reads the schema version.
func (s *Store) openReader(ctx context.Context, dsn string, immutable bool) (int, error) {
	if immutable {
		dsn += "&immutable=1"
	}
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		return 0, err
	}
	r.SetMaxOpenConns(4)
	var have int
	if err := r.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		r.Close()
		return 0, err
	}
	s.r = r
	return have, nil
}

// latestMigration is the highest migration version embedded.
func latestMigration() int {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	v := 0
	for _, n := range names {
		if x, err := strconv.Atoi(strings.SplitN(filepath.Base(n), "_", 2)[0]); err == nil && x > v {
			v = x
		}
	}
	return v
}

func readOnlyStore(what string) error {
	return errs.New(errs.ReadOnly, fmt.Sprintf("Castscope could not %s: the database was opened read-only.", what),
		"Use a command that may change the data folder for this.")
}

func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return errs.FS(err, path)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	if n == 0 && (err == io.EOF || err == nil) {
		return nil // empty file: SQLite treats it as a new database
	}
	if n < len(head) || string(head) != string(sqliteHeader) {
		return corrupt(path, nil)
	}
	return nil
}

func corrupt(path string, cause error) error {
	return errs.Wrap(errs.DatabaseCorrupt, cause,
		fmt.Sprintf("The database %s is damaged or is not a Castscope database.", path),
		"Castscope left the file untouched. Move it aside (or restore a backup) and start again.")
}

func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".castscope-probe-*")
	if err != nil {
		return errs.FS(err, dir)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// mapErr turns SQLite failures into the typed errors users can act on:
//   - SQLITE_FULL (a write that met ENOSPC, or the page limit) →
//     ERR_DISK_FULL;
//   - SQLITE_READONLY and its extended codes (a read-only file or mount,
//     a database file moved or deleted under Castscope), SQLITE_PERM →
//     ERR_READ_ONLY;
//   - SQLITE_CORRUPT, SQLITE_NOTADB → ERR_DATABASE_CORRUPT;
//   - SQLITE_IOERR and its extended codes ("disk I/O error") →
//     ERR_REGISTRY_UPDATE_FAILED, or ERR_DISK_FULL when the message says
//     so (Store.mapErr also looks at the free space of the data folder:
//     SQLite reports ENOSPC met while growing the WAL index or a file
//     as an I/O error);
//   - SQLITE_CANTOPEN → ERR_REGISTRY_UPDATE_FAILED.
//
// Anything else stays untyped (ERR_INTERNAL to users).
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var typed *errs.Error
	if errors.As(err, &typed) {
		return err
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteFull:
			return diskFull(err)
		case sqliteReadOnly, sqlitePerm:
			return errs.Wrap(errs.ReadOnly, err, "Castscope cannot write to its database.", "Choose a data folder you can write to, or fix its permissions.")
		case sqliteCorrupt, sqliteNotADB:
			return corrupt(DBName, err)
		case sqliteIOErr:
			if strings.Contains(strings.ToLower(err.Error()), "full") {
				return diskFull(err)
			}
			return errs.Wrap(errs.RegistryUpdateFailed, err, fmt.Sprintf("Castscope could not %s: the disk reported an I/O error.", what),
				"Check the disk holding the data folder (is it still connected, is it failing?), then retry.")
		case sqliteCantOpen:
			return errs.Wrap(errs.RegistryUpdateFailed, err, fmt.Sprintf("Castscope could not %s: its database file cannot be opened.", what),
				"Check that the data folder exists and that you may write to it, then retry.")
		}
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

// isIOErr reports whether err is SQLite's "disk I/O error" (any extended
// code).
func isIOErr(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqliteIOErr
}

func diskFull(err error) error {
	return errs.Wrap(errs.DiskFull, err, "The disk is full; Castscope could not save its state.", "Free some space, then retry. Nothing already saved was lost.")
}

// SQLite primary result codes (an extended code's low byte).
const (
	sqlitePerm     = 3
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteCorrupt  = 11
	sqliteFull     = 13
	sqliteCantOpen = 14
	sqliteNotADB   = 26
)

// lowSpace is the free space under which an I/O error counts as a full
// disk.
const lowSpace = 4 << 20

// mapErr is the package mapErr, and an I/O error met while the data
// folder's file system has less than lowSpace left is ERR_DISK_FULL.
func (s *Store) mapErr(err error, what string) error {
	var se *msqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqliteIOErr {
		if free, ok := freeSpace(s.dir); ok && free < lowSpace {
			return diskFull(err)
		}
	}
	return mapErr(err, what)
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return s.mapErr(err, "create schema_migrations")
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, n := range names {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(n), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: bad version: %w", n, err)
		}
		var have int
		if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version=?`, v).Scan(&have); err != nil {
			return s.mapErr(err, "read schema_migrations")
		}
		if have > 0 {
			continue
		}
		body, err := migrations.ReadFile(n)
		if err != nil {
			return fmt.Errorf("sqlite: read migration %s: %w", n, err)
		}
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return s.mapErr(err, "begin migration")
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return s.mapErr(err, "apply migration "+n)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, episode.FormatTime(s.now())); err != nil {
			tx.Rollback()
			return s.mapErr(err, "record migration "+n)
		}
		if err := tx.Commit(); err != nil {
			return s.mapErr(err, "commit migration "+n)
		}
	}
	return nil
}

// Close writes owed exports and closes the database. It returns the
// export error that could not be healed, typed.
func (s *Store) Close() error {
	s.wmu.Lock()
	if s.closed {
		s.wmu.Unlock()
		return nil
	}
	s.wmu.Unlock()
	if s.readOnly {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		s.closed = true
		return s.r.Close()
	}
	close(s.stop)
	<-s.exporterDone
	ferr := s.flushDirty(context.Background())
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.closed = true
	err := s.r.Close()
	if e := s.w.Close(); err == nil {
		err = e
	}
	if ferr != nil {
		return ferr
	}
	return err
}

// DB returns the reader pool (for tests and diagnostics; query only).
func (s *Store) DB() *sql.DB { return s.r }

// IntegrityCheck runs PRAGMA integrity_check and returns its first line.
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	err := s.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res)
	return res, s.mapErr(err, "integrity check")
}

// ---- write path -------------------------------------------------------

type dirtySet map[dirtyKey]bool

func (d dirtySet) episode(key string) { d[dirtyKey{kindEpisode, key}] = true }
func (d dirtySet) job(id string)      { d[dirtyKey{kindJob, id}] = true }

// exportDebounce is how long the exporter waits to coalesce changes.
const exportDebounce = 50 * time.Millisecond

// write runs fn in one IMMEDIATE transaction on the writer connection and
// queues the exports of what fn marked dirty (recorded in dirty_exports in
// the same transaction, so a crash cannot lose them).
func (s *Store) write(ctx context.Context, what string, fn func(tx *sql.Tx, d dirtySet) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return fmt.Errorf("sqlite: %s: store closed", what)
	}
	if s.readOnly {
		return readOnlyStore(what)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.mapErr(err, what)
	}
	defer tx.Rollback()
	d := dirtySet{}
	if err := fn(tx, d); err != nil {
		return s.mapErr(err, what)
	}
	s.expMu.Lock()
	done := s.exported
	s.exported = nil
	s.expMu.Unlock()
	requeue := func() {
		s.expMu.Lock()
		s.exported = append(s.exported, done...)
		s.expMu.Unlock()
	}
	for _, k := range done {
		if _, err := tx.ExecContext(ctx, `DELETE FROM dirty_exports WHERE kind=? AND id=?`, k.kind, k.id); err != nil {
			requeue()
			return s.mapErr(err, what)
		}
	}
	for k := range d {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO dirty_exports (kind, id) VALUES (?, ?)`, k.kind, k.id); err != nil {
			requeue()
			return s.mapErr(err, what)
		}
	}
	if err := tx.Commit(); err != nil {
		requeue()
		return s.mapErr(err, what)
	}
	if len(d) > 0 {
		s.expMu.Lock()
		for k := range d {
			s.pending[k] = true
		}
		s.expMu.Unlock()
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// exporter writes queued exports, coalescing bursts of changes.
func (s *Store) exporter() {
	defer close(s.exporterDone)
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		}
		select {
		case <-s.stop:
			return
		case <-time.After(exportDebounce):
		}
		s.exportPending(context.Background())
	}
}

// exportPending writes every queued export (and retries failed ones). One
// pass at a time, each reading the committed state, so the last export of
// a key always reflects its last commit.
func (s *Store) exportPending(ctx context.Context) {
	s.exportRun.Lock()
	defer s.exportRun.Unlock()
	s.expMu.Lock()
	keys := s.pending
	s.pending = dirtySet{}
	for k := range s.failed {
		keys[k] = true
	}
	s.expMu.Unlock()
	ordered := make([]dirtyKey, 0, len(keys))
	for k := range keys {
		ordered = append(ordered, k)
	}
	sort.Slice(ordered, func(i, j int) bool {
		return ordered[i].kind+ordered[i].id < ordered[j].kind+ordered[j].id
	})
	for _, k := range ordered {
		var err error
		switch k.kind {
		case kindEpisode:
			err = s.exportEpisode(ctx, s.r, k.id)
		case kindJob:
			err = s.exportJob(ctx, s.r, k.id)
		case kindCuration:
			err = s.exportCuration(ctx, s.r, k.id)
		}
		s.expMu.Lock()
		if err != nil {
			s.failed[k] = true
			s.exportErr = err
		} else {
			delete(s.failed, k)
			s.exported = append(s.exported, k)
		}
		if len(s.failed) == 0 {
			s.exportErr = nil
		}
		s.expMu.Unlock()
		if err != nil {
			s.log.Error("export failed; it will be retried", "kind", k.kind, "id", k.id, "error", err)
		}
	}
}

// Flush writes every queued export now and returns the typed error of
// exports still owed (nil if none). The runner calls it before Wait
// returns.
func (s *Store) Flush(ctx context.Context) error {
	s.exportPending(ctx)
	return s.ExportErr()
}

// ExportErr returns the typed error of exports still owed (nil if none).
func (s *Store) ExportErr() error {
	s.expMu.Lock()
	defer s.expMu.Unlock()
	return s.exportErr
}

// flushDirty exports everything recorded in dirty_exports and clears the
// rows that were written.
func (s *Store) flushDirty(ctx context.Context) error {
	if s.readOnly {
		return nil
	}
	s.wmu.Lock()
	rows, err := s.w.QueryContext(ctx, `SELECT kind, id FROM dirty_exports`)
	if err != nil {
		s.wmu.Unlock()
		return s.mapErr(err, "read owed exports")
	}
	d := dirtySet{}
	for rows.Next() {
		var k dirtyKey
		if err := rows.Scan(&k.kind, &k.id); err != nil {
			rows.Close()
			s.wmu.Unlock()
			return s.mapErr(err, "read owed exports")
		}
		d[k] = true
	}
	rows.Close()
	s.wmu.Unlock()
	s.expMu.Lock()
	for k := range d {
		s.pending[k] = true
	}
	s.expMu.Unlock()
	s.exportPending(ctx)

	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.expMu.Lock()
	done := s.exported
	s.exported = nil
	s.expMu.Unlock()
	if len(done) > 0 {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return s.mapErr(err, "clear owed exports")
		}
		for _, k := range done {
			if _, err := tx.ExecContext(ctx, `DELETE FROM dirty_exports WHERE kind=? AND id=?`, k.kind, k.id); err != nil {
				tx.Rollback()
				return s.mapErr(err, "clear owed exports")
			}
		}
		if err := tx.Commit(); err != nil {
			return s.mapErr(err, "clear owed exports")
		}
	}
	return s.ExportErr()
}

// ExportAll rewrites every state.json and meta.json (`castscope
// export-json`).
func (s *Store) ExportAll(ctx context.Context) error {
	if s.readOnly {
		return readOnlyStore("write the JSON files")
	}
	d := dirtySet{}
	for _, q := range []struct{ kind, sql string }{{kindEpisode, `SELECT key FROM episodes`}, {kindJob, `SELECT id FROM jobs`}} {
		rows, err := s.r.QueryContext(ctx, q.sql)
		if err != nil {
			return s.mapErr(err, "list for export")
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return s.mapErr(err, "list for export")
			}
			d[dirtyKey{q.kind, id}] = true
		}
		rows.Close()
	}
	s.expMu.Lock()
	for k := range d {
		s.pending[k] = true
	}
	s.expMu.Unlock()
	return s.flushDirty(ctx)
}

func (s *Store) exportEpisode(ctx context.Context, q querier, key string) error {
	if err := episode.ValidateKey(key); err != nil {
		return err
	}
	ep, err := loadEpisode(ctx, q, key)
	if errors.Is(err, errNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.writeJSON(filepath.Join(s.dir, "episodes", key, "state.json"), ep.StateFile())
}

func (s *Store) exportJob(ctx context.Context, q querier, id string) error {
	if !jobIDRE.MatchString(id) {
		return fmt.Errorf("sqlite: unsafe job id %q", id)
	}
	j, err := loadJob(ctx, q, id)
	if errors.Is(err, job.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.writeJSON(filepath.Join(s.dir, "data", "jobs", id, "meta.json"), j)
}

// writeJSON writes v to path atomically (Options.WriteFile, by default
// atomicfile.Write: temp file, sync, rename).
func (s *Store) writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("sqlite: encode %s: %w", path, err)
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errs.FS(err, dir)
	}
	return errs.FS(s.writeFile(path, b), path)
}

var jobIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$`)

// ---- reading helpers ----------------------------------------------------

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

var errNoRows = sql.ErrNoRows

func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return episode.FormatTime(*t)
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func parseTimePtr(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := parseTime(s.String)
	return &t
}

func rawOrNil(s sql.NullString) json.RawMessage {
	if !s.Valid || s.String == "" {
		return nil
	}
	return json.RawMessage(s.String)
}

func nullRaw(b json.RawMessage) any {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return string(b)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
