package aof

import (
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Fsync policies (appendfsync).
const (
	FsyncNo = iota
	FsyncEverySec
	FsyncAlways
)

// Cmd is one command to append: the database it runs in and its arguments.
type Cmd struct {
	DB   int
	Args [][]byte
}

// Log appends commands to the current incremental file. Appending only encodes into a
// memory buffer (callers append while holding the stripes of the keys they changed, so
// the order in the file is the order of the changes); Flush writes the buffer to the
// file, and with FsyncAlways fsyncs it, before a client is answered. Concurrent Flush
// calls share one write and one fsync (group commit). With FsyncEverySec the owner
// calls SyncIfDue once a second.
//
// Offsets are logical: the number of bytes appended since the Log was made, across
// file switches (Rotate).
type Log struct {
	mu         sync.Mutex // guards buf, end, selected, lastTS, timestamps, f, size, err
	buf        []byte
	end        int64
	selected   int // database of the last SELECT written to the current file, -1 none
	lastTS     int64
	timestamps bool
	f          *os.File
	size       int64       // bytes in the current file, written or buffered
	err        error       // the last write error, nil once a write succeeds again
	failed     atomic.Bool // err != nil

	wmu     sync.Mutex // one writer at a time; taken before mu
	spare   []byte     // the writer's buffer, swapped with buf (wmu)
	wlen    int64      // bytes written to the current file (wmu)
	written atomic.Int64
	synced  atomic.Int64
	policy  atomic.Int32
	lastFs  atomic.Int64 // Unix ms of the last fsync
	kick    chan struct{}
	done    chan struct{}        // closed by Close: WriteLoop returns
	sync    func(*os.File) error // fsync (SetSync)
}

// NewLog appends to f, which already holds size bytes and is positioned at its end.
func NewLog(f *os.File, size int64, policy int, timestamps bool) *Log {
	l := &Log{f: f, size: size, wlen: size, selected: -1, timestamps: timestamps,
		kick: make(chan struct{}, 1), done: make(chan struct{}), sync: (*os.File).Sync}
	l.policy.Store(int32(policy))
	return l
}

// SetSync makes the log fsync its files with sync instead of (*os.File).Sync (tests
// of slow or failing disks); call it before the log is used.
func (l *Log) SetSync(sync func(*os.File) error) { l.sync = sync }

// SetPolicy changes the fsync policy and annotations.
func (l *Log) SetPolicy(policy int, timestamps bool) {
	l.policy.Store(int32(policy))
	l.mu.Lock()
	l.timestamps = timestamps
	l.mu.Unlock()
}

// Append encodes cmds, wrapped in MULTI/EXEC when there are several, with the SELECTs
// they need, and returns the offset that Flush must reach for them to be durable.
func (l *Log) Append(cmds ...Cmd) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	before := len(l.buf)
	if l.timestamps {
		if now := time.Now().Unix(); now != l.lastTS {
			l.lastTS = now
			l.buf = AppendTimestamp(l.buf, now)
		}
	}
	l.buf = AppendCmds(l.buf, &l.selected, cmds)
	n := int64(len(l.buf) - before)
	l.end += n
	l.size += n
	return l.end
}

// AppendCmds encodes cmds as one unit of a command stream (an AOF, a replication
// stream): in MULTI/EXEC when there are several, each preceded by a SELECT when its
// database differs from *selected (which it updates). A command with DB -1 runs in no
// database (PING) and needs no SELECT.
func AppendCmds(b []byte, selected *int, cmds []Cmd) []byte {
	multi := len(cmds) > 1
	for i, c := range cmds {
		if c.DB >= 0 && c.DB != *selected {
			*selected = c.DB
			b = append(b, "*2\r\n$6\r\nSELECT\r\n$"...)
			b = appendDB(b, c.DB)
		}
		if i == 0 && multi {
			b = append(b, "*1\r\n$5\r\nMULTI\r\n"...)
		}
		b = AppendCommand(b, c.Args...)
	}
	if multi {
		b = append(b, "*1\r\n$4\r\nEXEC\r\n"...)
	}
	return b
}

func appendDB(b []byte, db int) []byte {
	var d [20]byte
	s := d[:0]
	if db == 0 {
		s = append(s, '0')
	}
	for v := db; v > 0; v /= 10 {
		s = append(s, byte('0'+v%10))
	}
	b = append(b, byte('0'+len(s)))
	b = append(b, '\r', '\n')
	for i := len(s) - 1; i >= 0; i-- {
		b = append(b, s[i])
	}
	return append(b, '\r', '\n')
}

// End is the offset after everything appended so far.
func (l *Log) End() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.end
}

// Size is the current file's size, counting what is still buffered.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Buffered is the number of bytes appended but not yet written.
func (l *Log) Buffered() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.buf))
}

// Written reports whether everything up to off has been written.
func (l *Log) Written(off int64) bool { return l.written.Load() >= off }

// Always reports whether the policy is FsyncAlways.
func (l *Log) Always() bool { return l.policy.Load() == FsyncAlways }

// Flush writes the buffer up to at least off and fsyncs it (FsyncAlways: a client's
// reply waits for it). Concurrent calls share one write and one fsync. On a write error
// the unwritten bytes stay buffered for the next attempt, the file is cut back to its
// last good length, and the error is returned (and reported by Err until a write
// succeeds).
func (l *Log) Flush(off int64) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.synced.Load() >= off {
		return nil
	}
	return l.flushLocked(true)
}

// Kick asks WriteLoop to write what is buffered (FsyncEverySec, FsyncNo: replies do
// not wait for the write, which happens within moments; the periodic SyncIfDue bounds
// what a crash can lose).
func (l *Log) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// WriteLoop writes what is buffered whenever Kick asks, until Close. The owner runs it
// in a goroutine of its own.
func (l *Log) WriteLoop() {
	for {
		select {
		case <-l.kick:
		case <-l.done:
			return
		}
		// Let the clients that are ready run first: what they append joins this write.
		runtime.Gosched()
		l.wmu.Lock()
		if err := l.flushLocked(false); err != nil {
			l.wmu.Unlock()
			continue // kept buffered; SyncIfDue retries
		}
		l.wmu.Unlock()
	}
}

// flushLocked writes everything buffered. Caller holds wmu.
func (l *Log) flushLocked(fsync bool) error {
	l.mu.Lock()
	data, f, end := l.buf, l.f, l.end
	l.buf = l.spare[:0]
	l.mu.Unlock()
	if len(data) > 0 {
		if _, err := f.Write(data); err != nil {
			_ = f.Truncate(l.wlen) // no torn command in the file
			_, _ = f.Seek(l.wlen, io.SeekStart)
			l.mu.Lock()
			l.buf = append(data, l.buf...) // keep the order: the failed bytes first
			l.err = err
			l.failed.Store(true)
			l.mu.Unlock()
			return err
		}
	}
	l.wlen += int64(len(data))
	l.written.Store(end)
	if fsync {
		if err := l.sync(f); err != nil {
			l.setErr(err)
			return err
		}
		l.synced.Store(end)
		l.lastFs.Store(time.Now().UnixMilli())
	}
	l.spare = data[:0]
	l.setErr(nil)
	return nil
}

func (l *Log) setErr(err error) {
	l.mu.Lock()
	l.err = err
	l.failed.Store(err != nil)
	l.mu.Unlock()
}

// Failed reports whether the last write or fsync failed.
func (l *Log) Failed() bool { return l.failed.Load() }

// Err is the last write or fsync error, nil when the last attempt succeeded.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// SyncIfDue writes what is buffered and, with FsyncEverySec, fsyncs when a second has
// passed since the last fsync. The owner calls it periodically.
func (l *Log) SyncIfDue() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	pol := l.policy.Load()
	due := pol == FsyncEverySec && time.Now().UnixMilli()-l.lastFs.Load() >= 1000 &&
		l.synced.Load() < l.End()
	return l.flushLocked(due || pol == FsyncAlways)
}

// Rotate writes and fsyncs what is buffered into the current file, then makes next
// the current file (a rewrite started: next is the new incremental file). It returns
// the previous file, which the caller closes.
func (l *Log) Rotate(next *os.File) (*os.File, error) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if err := l.flushLocked(true); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	prev := l.f
	l.f = next
	l.size = 0
	l.wlen = 0
	l.selected = -1
	l.lastTS = 0
	return prev, nil
}

// Close writes and fsyncs what is buffered and closes the file; WriteLoop returns.
func (l *Log) Close() error {
	close(l.done)
	l.wmu.Lock()
	defer l.wmu.Unlock()
	err := l.flushLocked(true)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
