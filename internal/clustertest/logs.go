package clustertest

import (
	"bytes"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// logTail is how much of each process's log a cluster keeps (its latest bytes).
const logTail = 1 << 20

// tailLog keeps the latest logTail bytes written to it.
type tailLog struct {
	mu sync.Mutex
	b  []byte
}

func (l *tailLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > 2*logTail {
		l.b = append([]byte(nil), l.b[len(l.b)-logTail:]...)
	}
	return len(p), nil
}

func (l *tailLog) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b...)
}

// noDebug passes on the lines written to it (one per Write, as Raft's and memberlist's
// loggers write them) except their [DEBUG] ones.
type noDebug struct{ w io.Writer }

func (d noDebug) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("[DEBUG]")) {
		return len(p), nil
	}
	return d.w.Write(p)
}

// logOf returns the log kept for the process named name (created on first use; a
// restarted process writes on in the same one).
func (c *Cluster) logOf(name string) io.Writer {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	if c.logs == nil {
		c.logs = map[string]*tailLog{}
	}
	l, ok := c.logs[name]
	if !ok {
		l = new(tailLog)
		c.logs[name] = l
	}
	return l
}

// saveLogsOnFailure makes the cluster write every process's log into a new directory
// when t has failed by the end of the test (or always, with SHOAL_KEEP_LOGS set), and
// log where.
func (c *Cluster) saveLogsOnFailure(t testing.TB) {
	t.Cleanup(func() {
		dir := logDir(t, "shoal-failure-")
		if dir == "" {
			return
		}
		c.logMu.Lock()
		logs := maps.Clone(c.logs)
		c.logMu.Unlock()
		for name, l := range logs {
			if err := os.WriteFile(filepath.Join(dir, name+".log"), l.bytes(), 0o644); err != nil {
				t.Logf("log of %s not saved: %v", name, err)
			}
		}
		t.Logf("the processes' logs (%d): %s", len(logs), dir)
	})
}

// logDir is a new directory named with prefix for the logs of t's processes when t
// has failed (or always, with SHOAL_KEEP_LOGS set); "" when they are not to be kept.
func logDir(t testing.TB, prefix string) string {
	if !t.Failed() && os.Getenv("SHOAL_KEEP_LOGS") == "" {
		return ""
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Logf("the processes' logs not saved: %v", err)
		return ""
	}
	return dir
}
