package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/node/acl"
	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/storage/aof"
)

// The append-only file, Redis 7's multi-part layout: dir/appenddirname holds a base
// file (an RDB file, aof-use-rdb-preamble), incremental files of commands, and the
// manifest listing them. Commands are appended by the propagation step
// (propagate.go) to the current incremental file through an aof.Log; a client's
// replies wait until its commands are written (and fsynced with appendfsync always).
//
// A rewrite (BGREWRITEAOF, the automatic rewrite, turning appendonly on) switches to a
// new incremental file at the moment T a point-in-time snapshot starts (with every
// stripe held, so each command is wholly before T — in the old files and the snapshot
// — or after it — in the new file), writes the snapshot as the new base file, then
// makes the manifest name the new base and the new incremental file only, and deletes
// the superseded files. A rewrite and BGSAVE share the one snapshot at a time.

// aofState is the AOF's bookkeeping beyond the Log. mu is taken before any stripe.
type aofState struct {
	mu       sync.Mutex    // guards manifest, on, the directory's files
	manifest *aof.Manifest // nil before the directory exists
	on       bool          // appendonly is on (the Log exists, or a rewrite will create it)

	rewriting    atomic.Bool
	scheduled    atomic.Bool  // a rewrite waits for the running snapshot
	rewriteStart atomic.Int64 // Unix ms the running rewrite started
	lastSec      atomic.Int64 // aof_last_rewrite_time_sec, -1 before the first
	lastFailed   atomic.Bool
	rewrites     atomic.Int64
	failures     atomic.Int64 // consecutive failed rewrites
	lastRetry    atomic.Int64 // Unix s of the last failed automatic rewrite
	otherSize    atomic.Int64 // bytes in the base and the incremental files before the current one
	baseSize     atomic.Int64 // aof_base_size: the AOF's size after the last rewrite or load
}

func aofDir(cfg *conf.Config) string { return filepath.Join(cfg.Dir, cfg.Appenddirname) }

func fsyncPolicy(cfg *conf.Config) int {
	switch cfg.Appendfsync {
	case "always":
		return aof.FsyncAlways
	case "no":
		return aof.FsyncNo
	}
	return aof.FsyncEverySec
}

// errAOFNotFound is a start with appendonly on and no AOF: Redis then loads nothing
// (not even the RDB file) and writes a base file of the empty dataset.
var errAOFNotFound = errors.New("no AOF")

// loadAOF loads the AOF named by the manifest in dir/appenddirname (or an AOF of the
// single-file layout, dir/appendfilename, which it moves into the directory as the
// base file, as Redis 7 upgrades it). errAOFNotFound when there is none.
func (s *Server) loadAOF(cfg *conf.Config) error {
	dir := aofDir(cfg)
	m, err := aof.ReadManifest(dir, cfg.Appendfilename)
	if errors.Is(err, os.ErrNotExist) {
		if m, err = s.upgradeAOF(cfg); err != nil || m == nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("Failed to load the AOF manifest %s: %w", aof.ManifestName(cfg.Appendfilename), err)
	}
	start := time.Now()
	files := m.Incr
	if m.Base != nil {
		files = append([]aof.FileInfo{*m.Base}, files...)
	}
	loader := s.internalClient()
	var total int64
	for i, fi := range files {
		last := i == len(files)-1
		n, err := s.loadAOFFile(loader, filepath.Join(dir, fi.Name), last, cfg)
		if err != nil {
			return err
		}
		total += n
	}
	s.aof.manifest = m
	s.aof.baseSize.Store(total)
	s.log.Noticef("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
	return nil
}

// upgradeAOF moves a single-file AOF (Redis before 7) into the directory as its base
// file and writes a manifest naming it; nil when there is no such file.
func (s *Server) upgradeAOF(cfg *conf.Config) (*aof.Manifest, error) {
	old := filepath.Join(cfg.Dir, cfg.Appendfilename)
	if _, err := os.Stat(old); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errAOFNotFound
		}
		return nil, err
	}
	dir := aofDir(cfg)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("Can't create AOF directory %s: %w", dir, err)
	}
	m := &aof.Manifest{Base: &aof.FileInfo{Name: cfg.Appendfilename, Seq: 1, Type: aof.TypeBase}, CurBaseSeq: 1}
	if err := os.Rename(old, filepath.Join(dir, cfg.Appendfilename)); err != nil {
		return nil, err
	}
	if err := aof.WriteManifest(dir, cfg.Appendfilename, m); err != nil {
		return nil, err
	}
	s.log.Noticef("Successfully migrated an old-style AOF into the AOF directory")
	return m, nil
}

// loadAOFFile replays one file: an RDB preamble if it starts with one, then commands.
// A truncated last file is cut back to its last whole command when aof-load-truncated
// is on, as Redis does; anywhere else truncation is fatal. It returns the file's size.
func (s *Server) loadAOFFile(loader *Client, path string, last bool, cfg *conf.Config) (int64, error) {
	name := filepath.Base(path)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("Fatal error: can't open the append log file %s for reading: %w", name, err)
	}
	var off int
	if aof.IsRDB(data) {
		s.log.Noticef("Reading RDB base file on AOF loading...")
		if off, err = s.loadRDBData(data, nil); err != nil {
			return 0, fmt.Errorf("Error reading the RDB base file %s, AOF loading aborted: %v", name, err)
		}
	}
	r := aof.NewReader(bytes.NewReader(data[off:]), int64(off), cfg.ProtoMaxBulkLen)
	for n := 0; ; {
		args, err := r.Next()
		if err == io.EOF {
			break
		}
		var trunc *aof.TruncatedError
		if errors.As(err, &trunc) {
			if !last || !cfg.AofLoadTruncated {
				return 0, fmt.Errorf("Unexpected end of file reading the append only file %s. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name)
			}
			s.log.Warningf("!!! Warning: short read while loading the AOF file %s!!!", name)
			s.log.Warningf("!!! Truncating the AOF %s at offset %d !!!", name, trunc.Off)
			if err := os.Truncate(path, trunc.Off); err != nil {
				return 0, fmt.Errorf("Error truncating the AOF file %s: %w", name, err)
			}
			s.log.Warningf("AOF %s loaded anyway because aof-load-truncated is enabled", name)
			loader.discardMulti()
			return trunc.Off, nil
		}
		if err != nil {
			return 0, fmt.Errorf("Bad file format reading the append only file %s: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest> (%v)", name, err)
		}
		if msg := s.replay(loader, args); msg != "" {
			return 0, fmt.Errorf("%s reading the append only file %s", msg, name)
		}
		if n++; n%1024 == 0 {
			s.loadProgress(r.Offset(), int64(len(data)))
		}
	}
	if loader.multi != nil {
		// A MULTI with no EXEC at the very end: the reader reports it as truncation.
		loader.discardMulti()
	}
	return int64(len(data)), nil
}

// internalClient is a client with no connection that runs commands as the server
// itself (AOF loading): authenticated, unrestricted, database 0.
func (s *Server) internalClient() *Client {
	c := &Client{s: s, id: -1, db: s.eng.DB(0), authenticated: true, replaying: true}
	c.multiLen.Store(-1)
	u := acl.NewUser(s.acl.reg, "", true)
	for _, rule := range []string{"on", "nopass", "~*", "+@all"} {
		if err := u.SetRule(s.acl.reg, rule, true); err != nil {
			panic(err) // fixed rules
		}
	}
	u.Seal()
	ref := &userRef{}
	ref.p.Store(u)
	c.user.Store(ref)
	return c
}

// replay runs one command read from an AOF on the loader client. Its reply is
// dropped; a command the table does not know is fatal, as in Redis.
func (s *Server) replay(c *Client, args [][]byte) string {
	cmd := c.lookupCmd(args[0])
	if cmd == nil {
		return "Unknown command '" + trunc(args[0], 128) + "'"
	}
	if cmd.subs != nil && len(args) >= 2 {
		if sub := cmd.subcommand(args[1]); sub != nil {
			cmd = sub
		}
	}
	c.args, c.cmd = args, cmd
	c.w.Reset()
	if !cmd.ArityOK(len(args)) {
		return "Wrong number of arguments for '" + cmd.FullName + "'"
	}
	if c.multi != nil && c.queueing(cmd) {
		return ""
	}
	s.call(c, cmd)
	c.w.Reset()
	return ""
}

// discardMulti drops a transaction left open.
func (c *Client) discardMulti() {
	if c.multi != nil {
		c.endMulti()
	}
}

// openAOFOnStart opens the AOF for appending after the data was loaded, with
// appendonly on: a missing directory or base file is created from the dataset (as
// Redis writes a base file when it starts with no AOF), the last incremental file is
// opened (or a first one made), and the history files are deleted.
func (s *Server) openAOFOnStart(cfg *conf.Config) error {
	a := &s.aof
	a.mu.Lock()
	defer a.mu.Unlock()
	dir, prefix := aofDir(cfg), cfg.Appendfilename
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("Can't create AOF directory %s: %w", dir, err)
	}
	m := a.manifest
	if m == nil {
		m = &aof.Manifest{}
	}
	m = m.Clone()
	if m.Base == nil && len(m.Incr) == 0 {
		base := m.NextBase(prefix, cfg.AofUseRdbPreamble)
		if err := s.writeAOFBase(filepath.Join(dir, base.Name), cfg.AofUseRdbPreamble); err != nil {
			return fmt.Errorf("Can't write the AOF base file %s: %w", base.Name, err)
		}
		m.InstallBase(base, 1)
	}
	if len(m.Incr) == 0 {
		m.NextIncr(prefix)
	}
	cur := m.Incr[len(m.Incr)-1]
	f, size, err := openIncr(filepath.Join(dir, cur.Name))
	if err != nil {
		return err
	}
	if err := aof.WriteManifest(dir, prefix, m); err != nil {
		f.Close()
		return fmt.Errorf("Can't persist the AOF manifest: %w", err)
	}
	a.manifest = m
	a.on = true
	s.deleteAOFHistory(dir, prefix)
	a.otherSize.Store(s.aofFilesSize(dir) - size)
	if a.baseSize.Load() == 0 {
		a.baseSize.Store(s.aofFilesSize(dir))
	}
	s.useLog(aof.NewLog(f, size, fsyncPolicy(cfg), cfg.AofTimestampEnabled))
	return nil
}

// useLog makes l the AOF being appended to and starts its writer, which lives until
// the Log is closed (setAppendonly, closeAOF).
func (s *Server) useLog(l *aof.Log) {
	if s.opt.Fsync != nil {
		l.SetSync(s.opt.Fsync)
	}
	go l.WriteLoop()
	s.aofLog.Store(l)
}

// openIncr opens (or creates) an incremental file for appending at its end.
func openIncr(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("Can't open the append-only file %s: %w", filepath.Base(path), err)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, size, nil
}

// writeAOFBase writes the whole dataset as a base file at path: an RDB file, or
// commands (aof-use-rdb-preamble no). The stripes are taken here: it runs at start,
// before clients.
func (s *Server) writeAOFBase(path string, rdbFormat bool) error {
	var all storage.LockSet
	all.AddAll()
	s.eng.Lock(&all)
	defer s.eng.Unlock(&all)
	if rdbFormat {
		return s.writeRDBFile(path, true)
	}
	data := aof.AppendFunctions(nil, s.functionCodes())
	now := s.eng.Now()
	for slot := range storage.SlotCount {
		data = aof.AppendSlot(data, s.eng, slot, now)
	}
	return aof.WriteFileSync(path, data)
}

// aofFilesSize is the size of the files the manifest names (aof_current_size).
func (s *Server) aofFilesSize(dir string) int64 {
	m := s.aof.manifest
	var n int64
	add := func(fi aof.FileInfo) {
		if st, err := os.Stat(filepath.Join(dir, fi.Name)); err == nil {
			n += st.Size()
		}
	}
	if m.Base != nil {
		add(*m.Base)
	}
	for _, fi := range m.Incr {
		add(fi)
	}
	return n
}

// deleteAOFHistory removes the files a rewrite superseded and drops them from the
// manifest. Caller holds aof.mu.
func (s *Server) deleteAOFHistory(dir, prefix string) {
	m := s.aof.manifest
	if len(m.History) == 0 {
		return
	}
	for _, fi := range m.History {
		if err := os.Remove(filepath.Join(dir, fi.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warningf("Can't remove the AOF history file %s: %v", fi.Name, err)
		}
	}
	m = m.Clone()
	m.History = nil
	if err := aof.WriteManifest(dir, prefix, m); err != nil {
		s.log.Warningf("Can't persist the AOF manifest: %v", err)
		return
	}
	s.aof.manifest = m
}

// startRewrite begins a background rewrite. With a snapshot running it is scheduled
// instead (scheduled true). Caller holds aof.mu.
func (s *Server) startRewrite() (scheduled bool, err error) {
	a := &s.aof
	if a.rewriting.Load() {
		return false, errors.New("ERR Background append only file rewriting already in progress")
	}
	if s.snapshot.Load() != nil {
		a.scheduled.Store(true)
		return true, nil
	}
	cfg := s.config()
	dir := aofDir(cfg)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	if a.manifest == nil {
		a.manifest = &aof.Manifest{}
	}
	var keepFrom int64
	var start time.Time
	ok, err := s.startSnapshot(snapshotJob{
		dir:     dir,
		tmp:     filepath.Join(dir, "temp-rewriteaof-bg-"+strconv.Itoa(os.Getpid())+".aof"),
		aofBase: true,
		begin: func() error {
			m := a.manifest.Clone()
			keepFrom = m.CurIncrSeq + 1
			if a.on {
				if err := s.switchIncr(cfg, m); err != nil {
					return err
				}
			}
			start = time.Now()
			a.rewriting.Store(true)
			a.rewriteStart.Store(start.UnixMilli())
			return nil
		},
		finish: func(b *bgsave, err error) {
			s.endRewrite(b, cfg, keepFrom, time.Since(start), err)
		},
	})
	if err == nil && !ok {
		a.scheduled.Store(true)
		return true, nil
	}
	if err == nil {
		a.scheduled.Store(false)
	}
	return false, err
}

// switchIncr opens the next incremental file, names it in the manifest and makes it
// the Log's file (creating the Log when appendonly was just turned on). Every stripe
// and aof.mu are held.
func (s *Server) switchIncr(cfg *conf.Config, m *aof.Manifest) error {
	dir, prefix := aofDir(cfg), cfg.Appendfilename
	fi := m.NextIncr(prefix)
	f, _, err := openIncr(filepath.Join(dir, fi.Name))
	if err != nil {
		return err
	}
	if err := aof.WriteManifest(dir, prefix, m); err != nil {
		f.Close()
		os.Remove(filepath.Join(dir, fi.Name))
		return err
	}
	s.aof.manifest = m
	if l := s.aofLog.Load(); l != nil {
		prevSize := l.Size()
		prev, err := l.Rotate(f)
		if err != nil {
			s.log.Warningf("Error writing the AOF before a rewrite: %v", err)
		} else {
			prev.Close()
		}
		s.aof.otherSize.Add(prevSize)
		return nil
	}
	s.useLog(aof.NewLog(f, 0, fsyncPolicy(cfg), cfg.AofTimestampEnabled))
	return nil
}

// endRewrite installs a finished rewrite's base file: the manifest then names it and
// the incremental files from keepFrom on; the superseded files are deleted.
func (s *Server) endRewrite(b *bgsave, cfg *conf.Config, keepFrom int64, took time.Duration, err error) {
	a := &s.aof
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rewriting.Store(false)
	a.rewriteStart.Store(0)
	a.lastSec.Store(int64(took / time.Second))
	dir, prefix := aofDir(cfg), cfg.Appendfilename
	if err == nil && b.cancelled {
		err = errors.New("the rewrite was cancelled")
		os.Remove(b.tmpPath)
	}
	if err == nil {
		m := a.manifest.Clone()
		base := m.NextBase(prefix, !b.aofFormat)
		if err = os.Rename(b.tmpPath, filepath.Join(dir, base.Name)); err == nil {
			m.InstallBase(base, keepFrom)
			if err = aof.WriteManifest(dir, prefix, m); err == nil {
				a.manifest = m
			}
		}
	}
	if err != nil {
		os.Remove(b.tmpPath)
		a.lastFailed.Store(true)
		a.failures.Add(1)
		a.lastRetry.Store(time.Now().Unix())
		s.log.Warningf("Background AOF rewrite failed: %v", err)
		return
	}
	s.deleteAOFHistory(dir, prefix)
	var cur int64
	if l := s.aofLog.Load(); l != nil {
		cur = l.Size()
	}
	total := s.aofFilesSize(dir)
	a.otherSize.Store(total - cur)
	a.baseSize.Store(total)
	a.lastFailed.Store(false)
	a.failures.Store(0)
	a.rewrites.Add(1)
	s.log.Noticef("Background AOF rewrite finished successfully")
}

// cmdBgrewriteaof is BGREWRITEAOF.
func cmdBgrewriteaof(c *Client) {
	s := c.s
	s.aof.mu.Lock()
	scheduled, err := s.startRewrite()
	s.aof.mu.Unlock()
	switch {
	case err != nil && err.Error()[:4] == "ERR ":
		c.Err(err.Error())
	case err != nil:
		c.Err("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
		s.log.Warningf("Can't rewrite append only file in background: %v", err)
	case scheduled:
		c.w.Simple("Background append only file rewriting scheduled")
	default:
		c.w.Simple("Background append only file rewriting started")
	}
}

// setAppendonly turns the AOF on (a rewrite writes its first base file; commands are
// appended from the moment it starts) or off (the Log is flushed and closed).
// Caller holds cfgMu.
func (s *Server) setAppendonly(on bool) error {
	a := &s.aof
	a.mu.Lock()
	defer a.mu.Unlock()
	if on == a.on {
		return nil
	}
	if !on {
		a.on = false
		if b := s.snapshot.Load(); b != nil && b.aofBase {
			b.cancelled = true
		}
		a.scheduled.Store(false)
		if l := s.aofLog.Swap(nil); l != nil {
			if err := l.Close(); err != nil {
				s.log.Warningf("Error closing the AOF: %v", err)
			}
		}
		return nil
	}
	a.on = true
	if _, err := s.startRewrite(); err != nil {
		a.on = false
		return err
	}
	return nil
}

// aofCron is the AOF's share of the cron: a scheduled rewrite, the automatic rewrite,
// and the writes and fsyncs of appendfsync everysec and no.
func (s *Server) aofCron(cfg *conf.Config) {
	a := &s.aof
	if l := s.aofLog.Load(); l != nil {
		l.SetPolicy(fsyncPolicy(cfg), cfg.AofTimestampEnabled)
		if err := l.SyncIfDue(); err != nil {
			s.log.Warningf("Error writing to the AOF file: %v", err)
		}
	}
	if s.snapshot.Load() != nil || a.rewriting.Load() {
		return
	}
	start := a.scheduled.Load()
	if !start && s.aofLog.Load() != nil && cfg.AutoAofRewritePercentage > 0 {
		size := s.aofSize()
		base := max(a.baseSize.Load(), 1)
		growth := size*100/base - 100
		if size > cfg.AutoAofRewriteMinSize && growth >= cfg.AutoAofRewritePercentage &&
			(!a.lastFailed.Load() || time.Now().Unix()-a.lastRetry.Load() >= 60) {
			s.log.Noticef("Starting automatic rewriting of AOF on %d%% growth", growth)
			start = true
		}
	}
	if start {
		a.mu.Lock()
		if _, err := s.startRewrite(); err != nil {
			s.log.Warningf("Can't rewrite append only file in background: %v", err)
		}
		a.mu.Unlock()
	}
}

// aofSize is aof_current_size: the base and incremental files, buffered bytes
// included.
func (s *Server) aofSize() int64 {
	n := s.aof.otherSize.Load()
	if l := s.aofLog.Load(); l != nil {
		n += l.Size()
	}
	return n
}

// waitAOF holds a client's replies, with appendfsync always, until the commands it
// propagated are written and fsynced; with everysec and no it asks the writer to write
// them and does not wait (what a crash can lose is bounded by the once-a-second fsync,
// as everysec promises). A failed write with appendfsync always is fatal, as in Redis:
// an acknowledged write must be on disk.
func (s *Server) waitAOF(c *Client) {
	off := c.aofOff
	c.aofOff = 0
	switch l := s.aofLog.Load(); {
	case l == nil:
	case !l.Always():
		if !l.Written(off) {
			l.Kick()
		}
	default:
		if err := l.Flush(off); err != nil {
			s.log.Warningf("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...: %v", err)
			os.Exit(1)
		}
	}
}

// aofFailed reports whether the last AOF write failed (cheap: the executor asks it for
// every write command).
func (s *Server) aofFailed() bool {
	l := s.aofLog.Load()
	return l != nil && l.Failed()
}

// aofWriteErr is the MISCONF error of writes while the AOF cannot be written.
func (s *Server) aofWriteErr() string {
	l := s.aofLog.Load()
	if l == nil {
		return ""
	}
	if err := l.Err(); err != nil {
		return "MISCONF Errors writing to the AOF file: " + errText(err)
	}
	return ""
}

// errText is an error's text without Go's operation and path prefixes ("no space
// left on device").
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}

// closeAOF flushes and closes the AOF at shutdown.
func (s *Server) closeAOF() {
	if l := s.aofLog.Swap(nil); l != nil {
		if err := l.Close(); err != nil {
			s.log.Warningf("Error closing the AOF: %v", err)
		}
	}
}

// writeAOFInfo writes INFO persistence's AOF fields.
func (s *Server) writeAOFInfo(w infoWriter) {
	a := &s.aof
	l := s.aofLog.Load()
	a.mu.Lock()
	on := a.on
	a.mu.Unlock()
	w.kv("aof_enabled", b2i(on))
	w.kv("aof_rewrite_in_progress", b2i(a.rewriting.Load()))
	w.kv("aof_rewrite_scheduled", b2i(a.scheduled.Load()))
	w.kv("aof_last_rewrite_time_sec", a.lastSec.Load())
	cur := int64(-1)
	if st := a.rewriteStart.Load(); st != 0 {
		cur = (time.Now().UnixMilli() - st) / 1000
	}
	w.kv("aof_current_rewrite_time_sec", cur)
	w.kv("aof_last_bgrewrite_status", okErr(!a.lastFailed.Load()))
	w.kv("aof_rewrites", a.rewrites.Load())
	w.kv("aof_rewrites_consecutive_failures", a.failures.Load())
	w.kv("aof_last_write_status", okErr(l == nil || l.Err() == nil))
	w.kv("aof_last_cow_size", 0)
	w.kv("module_fork_in_progress", 0)
	w.kv("module_fork_last_cow_size", 0)
	if !on {
		return
	}
	w.kv("aof_current_size", s.aofSize())
	w.kv("aof_base_size", a.baseSize.Load())
	w.kv("aof_pending_rewrite", b2i(a.scheduled.Load()))
	var buffered int64
	if l != nil {
		buffered = l.Buffered()
	}
	w.kv("aof_buffer_length", buffered)
	w.kv("aof_pending_bio_fsync", 0)
	w.kv("aof_delayed_fsync", 0)
}

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}
