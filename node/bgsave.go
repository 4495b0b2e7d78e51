package node

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/storage/aof"
	"github.com/shoal-db/shoal/storage/rdb"
)

// BGSAVE without fork: a point-in-time snapshot written while clients keep writing.
//
// When it starts (time T), every slot is pending. A saver goroutine visits the slots in
// order; under a slot's stripe it serializes the slot (every database's keys in it, as
// they are, keys expired at T left out) unless that was done already, and writes the
// chunk. A writer that is about to change a still-pending slot — a write command before
// its handler runs, a blocked client about to be served, an expiry deleting a key —
// serializes the slot first, under the stripe it already holds, and queues the chunk
// for the saver. Either way a slot is captured exactly as it was at T. The extra memory
// is the chunks of slots written to during the save, not a copy of the dataset.
// (RDB lets a file select a database many times, so chunks may come in any order.)

type bgsave struct {
	now      int64 // T, Unix ms: the expiry clock of the snapshot
	compress bool
	hints    rdb.Hints
	pending  [storage.SlotCount]bool // guarded by each slot's stripe

	mu     sync.Mutex // guards chunks, free, err
	chunks [][]byte
	free   [][]byte // buffers of chunks already written, reused by captures
	err    error

	cancelled bool   // a synchronous save superseded it: do not install the file (renameMu)
	dirty     int64  // the dirty counter at T
	aofBase   bool   // an AOF rewrite's base, not BGSAVE's file
	aofFormat bool   // written as AOF commands (aof-use-rdb-preamble no), not RDB
	tmpPath   string // the file written
}

// encode appends slot's keys in the snapshot's format. The caller holds its stripe.
func (b *bgsave) encode(buf []byte, e *storage.Engine, slot int) ([]byte, error) {
	if b.aofFormat {
		return aof.AppendSlot(buf, e, slot, b.now), nil
	}
	return rdb.AppendSlot(buf, e, slot, b.now, b.hints, b.compress)
}

// chunkWriter writes a snapshot file from chunks: rdb.FileWriter, or aofBaseWriter.
type chunkWriter interface {
	Write(chunk []byte) error
	Finish() error
}

// aofBaseWriter writes an AOF base file of commands.
type aofBaseWriter struct{ w *bufio.Writer }

func (a aofBaseWriter) Write(chunk []byte) error {
	_, err := a.w.Write(chunk)
	return err
}

func (a aofBaseWriter) Finish() error { return a.w.Flush() }

// capture serializes slot if it is still pending. The caller holds its stripe.
func (b *bgsave) capture(e *storage.Engine, slot int) {
	if !b.pending[slot] {
		return
	}
	b.pending[slot] = false
	var buf []byte
	b.mu.Lock()
	if n := len(b.free); n > 0 {
		buf, b.free = b.free[n-1], b.free[:n-1]
	}
	b.mu.Unlock()
	chunk, err := b.encode(buf, e, slot)
	b.mu.Lock()
	if err != nil && b.err == nil {
		b.err = err
	}
	if len(chunk) > 0 {
		b.chunks = append(b.chunks, chunk)
	}
	b.mu.Unlock()
}

// slotCapturer is a snapshot that captures a slot before it changes: a background
// save's (bgsave), a slot move's (moveSnap).
type slotCapturer interface {
	capture(e *storage.Engine, slot int)
}

// captureLocked captures the pending slots a client's command holds: every slot for
// a command holding every stripe, else its keys' slots. The stripes are held.
func (s *Server) captureLocked(c *Client, b slotCapturer) {
	if c.locks.All() || c.held && len(c.keySlots) == 0 {
		for slot := range storage.SlotCount {
			b.capture(s.eng, slot)
		}
		return
	}
	for _, slot := range c.keySlots {
		b.capture(s.eng, slot)
	}
}

// captureKey captures the slot of key before an expiry removes it (stripe held).
func (s *Server) captureKey(key []byte) { s.captureSlot(slots.KeySlot(key)) }

// captureSlot captures slot for the snapshots running — a background save's, a slot
// move's (move.go) — before it changes. The caller holds its stripe.
func (s *Server) captureSlot(slot int) {
	if b := s.snapshot.Load(); b != nil {
		b.capture(s.eng, slot)
	}
	if m := s.moving.Load(); m != nil {
		m.snap.capture(s.eng, slot)
	}
}

// captureWrites captures, for the snapshots running, the slots c's command holds
// before it changes them (stripes held).
func (s *Server) captureWrites(c *Client) {
	if b := s.snapshot.Load(); b != nil {
		s.captureLocked(c, b)
	}
	if m := s.moving.Load(); m != nil {
		s.captureLocked(c, m.snap)
	}
}

// maxFreeChunks bounds the chunk buffers a save keeps for reuse.
const maxFreeChunks = 1024

// errSuperseded ends a background save that a synchronous save overtook.
var errSuperseded = errors.New("superseded by a synchronous save")

// snapshotJob is what a snapshot is taken for: BGSAVE's RDB file, or the base file of
// an AOF rewrite (aof.go).
type snapshotJob struct {
	dir, tmp string // the file written, in dir
	aofBase  bool   // the aof-base aux field
	// sink, if set, receives the RDB file instead of tmp (a diskless replica sync).
	sink io.Writer
	// aux, if set, adds aux fields to the RDB file; it is called after begin.
	aux func() [][2]string
	// begin runs at T with every stripe held (an AOF rewrite switches incremental
	// files there); an error cancels the snapshot.
	begin func() error
	// finish runs in the saver once the file is written (err nil) or failed.
	finish func(b *bgsave, err error)
}

// startSnapshot begins a background snapshot for job; false when one is running (or
// job.begin failed).
func (s *Server) startSnapshot(job snapshotJob) (bool, error) {
	cfg := s.config()
	b := &bgsave{now: s.eng.Now(), compress: cfg.Rdbcompression, aofBase: job.aofBase, hints: rdbHints(cfg),
		aofFormat: job.aofBase && !cfg.AofUseRdbPreamble}
	for i := range b.pending {
		b.pending[i] = true
	}
	// Taking every stripe orders T against writes: each write is wholly before or after.
	var all storage.LockSet
	all.AddAll()
	s.eng.Lock(&all)
	if s.snapshot.Load() != nil {
		s.eng.Unlock(&all)
		return false, nil
	}
	if job.begin != nil {
		if err := job.begin(); err != nil {
			s.eng.Unlock(&all)
			return false, err
		}
	}
	s.snapshot.Store(b)
	b.dirty = s.stats.dirty.Load()
	s.eng.Unlock(&all)
	s.goTracked(func() {
		err := s.writeSnapshot(b, job, cfg.Rdbchecksum)
		s.snapshot.Store(nil)
		job.finish(b, err)
	})
	return true, nil
}

// startBGSave begins a background save; false when a snapshot is running.
func (s *Server) startBGSave() bool {
	cfg := s.config()
	path := rdbPath(cfg)
	var start time.Time
	ok, _ := s.startSnapshot(snapshotJob{
		dir: cfg.Dir,
		tmp: filepath.Join(cfg.Dir, "temp-bgsave-"+strconv.Itoa(os.Getpid())+".rdb"),
		begin: func() error {
			start = time.Now()
			s.persist.bgStart.Store(start.UnixMilli())
			return nil
		},
		finish: func(b *bgsave, err error) {
			if err == nil {
				s.renameMu.Lock()
				if b.cancelled {
					err = errSuperseded
				} else {
					err = os.Rename(b.tmpPath, path)
				}
				s.renameMu.Unlock()
			}
			s.endBGSave(b, time.Since(start), err)
		},
	})
	return ok
}

// endBGSave records how a background save ended.
func (s *Server) endBGSave(b *bgsave, took time.Duration, err error) {
	s.persist.lastBgsaveSec.Store(int64(took / time.Second))
	s.persist.bgStart.Store(0)
	if errors.Is(err, errSuperseded) {
		s.log.Noticef("Background saving superseded by a synchronous save")
		return
	}
	if err != nil {
		s.persist.lastOK.Store(false)
		s.persist.lastBgsaveFail.Store(time.Now().Unix())
		s.log.Warningf("Background saving error: %v", err)
		return
	}
	// Changes made during the save are still unsaved.
	s.stats.dirty.Add(-b.dirty)
	s.lastSave.Store(time.Now().Unix())
	s.persist.lastOK.Store(true)
	s.persist.saves.Add(1)
	s.log.Noticef("Background saving terminated with success")
}

// writeSnapshot writes the snapshot b into job.tmp (fsynced; removed on failure).
func (s *Server) writeSnapshot(b *bgsave, job snapshotJob, checksum bool) error {
	tmp := job.tmp
	b.tmpPath = tmp
	var f *os.File
	var out io.Writer = job.sink
	if out == nil {
		var err error
		if f, err = os.Create(tmp); err != nil {
			return fmt.Errorf("Failed opening the temp RDB file %s: %w", filepath.Base(tmp), err)
		}
		out = f
	}
	var fw chunkWriter
	var err error
	if b.aofFormat {
		w := bufio.NewWriterSize(out, 1<<20)
		if s.config().AofTimestampEnabled {
			w.Write(aof.AppendTimestamp(nil, time.Now().Unix()))
		}
		w.Write(aof.AppendFunctions(nil, s.functionCodes()))
		fw = aofBaseWriter{w}
	} else {
		aux := s.rdbAux()
		if job.aofBase {
			aux[len(aux)-1][1] = "1"
		}
		if job.aux != nil {
			aux = slices.Insert(aux, len(aux)-1, job.aux()...)
		}
		fw, err = rdb.NewFileWriter(out, rdb.SaveOptions{
			Aux:       aux,
			Functions: s.functionCodes(),
			Checksum:  checksum,
			Compress:  b.compress,
		})
	}
	drain := func() error {
		b.mu.Lock()
		chunks, cerr := b.chunks, b.err
		b.chunks = nil
		b.mu.Unlock()
		if cerr != nil {
			return cerr
		}
		for _, c := range chunks {
			if err := fw.Write(c); err != nil {
				return err
			}
		}
		// Written chunks' buffers serve the next captures: a save under heavy writes
		// then makes little garbage, so the heap (and RSS) barely grows.
		b.mu.Lock()
		for _, c := range chunks {
			if len(b.free) < maxFreeChunks {
				b.free = append(b.free, c[:0])
			}
		}
		b.mu.Unlock()
		return nil
	}
	var chunk []byte // reused: the saver's own chunks are written at once
	for slot := 0; err == nil && slot < storage.SlotCount; slot++ {
		s.eng.LockSlot(slot)
		chunk = chunk[:0]
		if b.pending[slot] {
			b.pending[slot] = false
			chunk, err = b.encode(chunk, s.eng, slot)
		}
		s.eng.UnlockSlot(slot)
		if err == nil && len(chunk) > 0 {
			err = fw.Write(chunk)
		}
		if err == nil && slot%8 == 7 {
			err = drain()
		}
	}
	if err == nil {
		err = drain()
	}
	if err == nil {
		err = fw.Finish()
	}
	if f == nil {
		return err
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// cmdBgsave is BGSAVE [SCHEDULE].
func cmdBgsave(c *Client) {
	schedule := false
	if len(c.args) == 2 {
		if !c.is(1, "SCHEDULE") {
			c.Err(errSyntax)
			return
		}
		schedule = true
	} else if len(c.args) > 2 {
		c.Err(errSyntax)
		return
	}
	if !c.s.startBGSave() {
		if schedule {
			c.s.persist.scheduled.Store(true)
			c.w.Simple("Background saving scheduled")
			return
		}
		c.Err("ERR Background save already in progress")
		return
	}
	c.w.Simple("Background saving started")
}

// saveCron starts a background save when a save point is reached (or one was
// scheduled), as Redis's serverCron does.
func (s *Server) saveCron() {
	if s.snapshot.Load() != nil {
		return
	}
	if s.persist.scheduled.Swap(false) {
		s.startBGSave()
		return
	}
	cfg := s.config()
	dirty := s.stats.dirty.Load()
	since := time.Now().Unix() - s.lastSave.Load()
	for _, p := range cfg.Save {
		if dirty >= p[1] && since >= p[0] {
			if !s.persist.lastOK.Load() && time.Now().Unix()-s.persist.lastBgsaveFail.Load() < 5 {
				return // retry a failed save after 5 s, as Redis does
			}
			s.log.Noticef("%d changes in %d seconds. Saving...", p[1], p[0])
			s.startBGSave()
			return
		}
	}
}

func b2i64(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
