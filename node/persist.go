package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/storage/rdb"
)

// RDB snapshots: SAVE writes dir/dbfilename with every stripe held (the file is the
// dataset at one moment), through a temporary file renamed into place, so a crash
// never leaves a torn file; the file is loaded at start; SHUTDOWN and SIGTERM save
// when save points are configured (or SHUTDOWN SAVE), as in Redis.

// persistStats are INFO persistence's RDB fields.
type persistStats struct {
	saves          atomic.Int64
	lastOK         atomic.Bool
	loadedKeys     atomic.Int64
	loadedExpired  atomic.Int64
	lastSaveTookMs atomic.Int64
	bgStart        atomic.Int64 // Unix ms the running background save started, 0 if none
	lastBgsaveSec  atomic.Int64
	lastBgsaveFail atomic.Int64 // Unix s of the last failed save
	scheduled      atomic.Bool  // BGSAVE SCHEDULE: start one when the current ends
}

func rdbPath(cfg *conf.Config) string { return filepath.Join(cfg.Dir, cfg.Dbfilename) }

// loadState is INFO's loading fields: set while Start loads the data set.
type loadState struct {
	on     atomic.Bool
	start  atomic.Int64 // Unix s
	total  atomic.Int64 // bytes to load
	loaded atomic.Int64 // bytes loaded so far
}

// errLoading answers commands that cannot run while the data set loads.
const errLoading = "LOADING Redis is loading the dataset in memory"

// loadData loads the data set at start — the AOF when appendonly is on (and opens it
// for appending), else the RDB file — while clients already connected are answered
// -LOADING, as Redis does.
func (s *Server) loadData(cfg *conf.Config) error {
	l := &s.loading
	l.start.Store(time.Now().Unix())
	defer l.on.Store(false)
	if s.opt.BeforeLoad != nil {
		s.opt.BeforeLoad()
	}
	if cfg.Appendonly {
		if err := s.loadAOF(cfg); err != nil && !errors.Is(err, errAOFNotFound) {
			return err
		}
		return s.openAOFOnStart(cfg)
	}
	return s.loadRDB(cfg)
}

// loadProgress records that off of total bytes are loaded.
func (s *Server) loadProgress(off, total int64) {
	s.loading.loaded.Store(off)
	s.loading.total.Store(total)
}

// writeLoadingInfo writes INFO persistence's loading_* fields while loading.
func (s *Server) writeLoadingInfo(w infoWriter) {
	l := &s.loading
	if !l.on.Load() {
		return
	}
	start, total, loaded := l.start.Load(), l.total.Load(), l.loaded.Load()
	perc, eta := 0.0, int64(1)
	if total > 0 {
		perc = float64(loaded) / float64(total) * 100
	}
	if elapsed := time.Now().Unix() - start; loaded > 0 && elapsed > 0 {
		eta = (total - loaded) / (loaded / elapsed)
	}
	w.kv("loading_start_time", start)
	w.kv("loading_total_bytes", total)
	w.kv("loading_rdb_used_mem", 0)
	w.kv("loading_loaded_bytes", loaded)
	w.kv("loading_loaded_perc", strconv.FormatFloat(perc, 'f', 2, 64))
	w.kv("loading_eta_seconds", eta)
}

// loadRDB loads dir/dbfilename into the engine, if it exists.
func (s *Server) loadRDB(cfg *conf.Config) error {
	path := rdbPath(cfg)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("Fatal error loading the DB, check server logs. Exiting. (%v)", err)
	}
	start := time.Now()
	var id string
	off, streamDB := int64(-1), 0
	aux := func(k, v string) {
		switch k {
		case "repl-id":
			id = v
		case "repl-offset":
			off, _ = strconv.ParseInt(v, 10, 64)
		case "repl-stream-db":
			streamDB, _ = strconv.Atoi(v)
		}
	}
	if _, err := s.loadRDBData(data, aux); err != nil {
		return fmt.Errorf("Short read or OOM loading DB. Unrecoverable error, aborting now. %s: %v", path, err)
	}
	s.log.Noticef("DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
	if cfg.MasterHost != "" && len(id) == 40 && off >= 0 {
		// A replica's own file: it continues its primary's history (a restarted
		// replica resynchronizes partially), as Redis's rdbPopulateSaveInfo/restore.
		r := &s.repl
		r.mu.Lock()
		r.setHistory(id, off, int(cfg.ReplBacklogSize))
		r.streamDB = min(max(streamDB, 0), s.eng.NumDBs()-1)
		r.mu.Unlock()
		s.log.Noticef("Restored the replication ID and offset %d from the RDB file", off)
	}
	return nil
}

// loadRDBData loads the RDB file at the start of data (an RDB file, or an AOF file's
// RDB preamble) and returns its length. aux, if set, receives the file's aux fields.
func (s *Server) loadRDBData(data []byte, aux func(key, value string)) (int, error) {
	now := s.eng.Now()
	loader := &Client{s: s}
	var loaded, expired int64
	total := int64(len(data))
	// Loading allocates mostly what stays: collect less often meanwhile.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	n, err := rdb.LoadPrefix(data, s.eng.Limits(), rdb.LoadHandler{
		Progress: func(off int) { s.loadProgress(int64(off), total) },
		Aux:      aux,
		Resize: func(dbi int, n uint64) {
			if dbi < s.eng.NumDBs() {
				s.eng.DB(dbi).Reserve(n)
			}
		},
		Key: func(dbi int, key, str []byte, v storage.Value, expire int64, hint rdb.Hint) error {
			if dbi >= s.eng.NumDBs() {
				return fmt.Errorf("FATAL: Data file was created with a Redis server configured to handle more than %d databases", s.eng.NumDBs())
			}
			if expire != 0 && expire <= now {
				expired++
				return nil
			}
			db := s.eng.DB(dbi).ForWrite()
			sl := slots.KeySlot(key)
			if v == nil {
				db.SetString(sl, key, str, expire, false)
			} else {
				db.SetValue(sl, key, v, expire, false)
			}
			// The access hint, where the policy reads that kind (objectSetLRUOrLFU).
			if lfu := s.eng.LFU(); lfu && hint.Freq >= 0 {
				db.SetFreq(sl, key, hint.Freq)
			} else if !lfu && hint.Idle >= 0 {
				db.SetIdle(sl, key, hint.Idle)
			}
			loaded++
			return nil
		},
		Function: func(code string) error {
			lib, errMsg := loader.loadLibrary(code)
			if errMsg != "" {
				return errors.New(errMsg)
			}
			st := &s.scripts
			st.mu.Lock()
			defer st.mu.Unlock()
			if msg := st.funcs.addLibrary(lib, true); msg != "" {
				return errors.New(msg)
			}
			return nil
		},
	})
	s.persist.loadedKeys.Add(loaded)
	s.persist.loadedExpired.Add(expired)
	return n, err
}

// rdbHints is the access hint snapshots write with each key: the idle time under an
// LRU policy, the LFU counter under an LFU one, none otherwise (as Redis).
func rdbHints(cfg *conf.Config) rdb.Hints {
	switch kind, _ := parsePolicy(cfg.MaxmemoryPolicy); kind {
	case policyLRU:
		return rdb.IdleHints
	case policyLFU:
		return rdb.FreqHints
	}
	return rdb.NoHints
}

// writeRDBFile writes the whole dataset as an RDB file at path (fsynced). The caller
// holds every stripe. aofBase marks the file as an AOF base (aux field aof-base).
func (s *Server) writeRDBFile(path string, aofBase bool) error {
	cfg := s.config()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	aux := s.rdbAux()
	if aofBase {
		aux[len(aux)-1][1] = "1"
	}
	err = rdb.Save(f, s.eng, rdb.SaveOptions{
		Aux:       aux,
		Functions: s.functionCodes(),
		Checksum:  cfg.Rdbchecksum,
		Compress:  cfg.Rdbcompression,
		Now:       s.eng.Now(),
		Hints:     rdbHints(cfg),
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// saveRDB writes the snapshot. The caller holds every stripe.
func (s *Server) saveRDB() error {
	cfg := s.config()
	start := time.Now()
	path := rdbPath(cfg)
	tmp := filepath.Join(cfg.Dir, "temp-"+strconv.Itoa(os.Getpid())+".rdb")
	err := s.writeRDBFile(tmp, false)
	if err == nil {
		// A background save still running is older than this file: it must not
		// replace it when it ends.
		s.renameMu.Lock()
		if b := s.snapshot.Load(); b != nil && !b.aofBase {
			b.cancelled = true
		}
		err = os.Rename(tmp, path)
		s.renameMu.Unlock()
	}
	if err != nil {
		os.Remove(tmp)
		s.persist.lastOK.Store(false)
		s.log.Warningf("Write error saving DB on disk: %v", err)
		return err
	}
	s.stats.dirty.Store(0)
	s.lastSave.Store(time.Now().Unix())
	s.persist.lastOK.Store(true)
	s.persist.saves.Add(1)
	s.persist.lastSaveTookMs.Store(time.Since(start).Milliseconds())
	s.log.Noticef("DB saved on disk")
	return nil
}

// errMisconf refuses writes after a failed snapshot (stop-writes-on-bgsave-error).
const errMisconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."

// misconf reports whether writes are refused after a failed save: save points are
// configured and stop-writes-on-bgsave-error is on. The next good save clears it.
func (s *Server) misconf() bool {
	cfg := s.config()
	return cfg.StopWritesOnBgsaveError && len(cfg.Save) > 0
}

// rdbAux are the aux fields a snapshot starts with.
func (s *Server) rdbAux() [][2]string {
	return [][2]string{{"redis-ver", Version}, {"redis-bits", "64"},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)}, {"used-mem", strconv.FormatInt(readMemStats().used, 10)},
		{"aof-base", "0"}}
}

// functionCodes are the function libraries' codes, by library name.
func (s *Server) functionCodes() []string {
	st := &s.scripts
	st.mu.Lock()
	defer st.mu.Unlock()
	libs := make([]string, 0, len(st.funcs.libs))
	for name := range st.funcs.libs {
		libs = append(libs, name)
	}
	slices.Sort(libs)
	codes := make([]string, len(libs))
	for i, name := range libs {
		codes[i] = st.funcs.libs[name].code
	}
	return codes
}

// cmdSave is SAVE: a synchronous snapshot (lock policy lockAll).
func cmdSave(c *Client) {
	if b := c.s.snapshot.Load(); b != nil && !b.aofBase {
		c.Err("ERR Background save already in progress")
		return
	}
	if err := c.s.saveRDB(); err != nil {
		c.Err("ERR")
		return
	}
	c.OK()
}

// SaveOnShutdown writes the snapshot before the process exits on a signal, when save
// points are configured, as Redis does on SIGTERM/SIGINT.
func (s *Server) SaveOnShutdown() error {
	if len(s.config().Save) == 0 {
		return nil
	}
	var all storage.LockSet
	all.AddAll()
	s.eng.Lock(&all)
	defer s.eng.Unlock(&all)
	return s.saveRDB()
}
