package node

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Log levels, as Redis's loglevel directive names them.
const (
	LevelDebug = iota
	LevelVerbose
	LevelNotice
	LevelWarning
)

var levelMarks = [...]byte{'.', '-', '*', '#'}

// ParseLevel maps a loglevel name to a level (notice for anything unknown).
func ParseLevel(s string) int {
	switch s {
	case "debug":
		return LevelDebug
	case "verbose":
		return LevelVerbose
	case "warning":
		return LevelWarning
	}
	return LevelNotice
}

// Logger writes log lines in Redis's format ("pid:M 24 Nov 2026 11:40:00.123 * text").
// Safe for concurrent use.
type Logger struct {
	mu    sync.Mutex
	out   io.Writer
	level int
	role  byte
	pid   int
}

// NewLogger logs to out at level and above.
func NewLogger(out io.Writer, level int) *Logger {
	return &Logger{out: out, level: level, role: 'M', pid: os.Getpid()}
}

// SetLevel changes the threshold (CONFIG SET loglevel).
func (l *Logger) SetLevel(level int) {
	l.mu.Lock()
	l.level = level
	l.mu.Unlock()
}

// Logf writes one line at level.
func (l *Logger) Logf(level int, format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if level < l.level || l.out == nil {
		return
	}
	now := time.Now()
	fmt.Fprintf(l.out, "%d:%c %s %c %s\n", l.pid, l.role, now.Format("02 Jan 2006 15:04:05.000"),
		levelMarks[level], fmt.Sprintf(format, args...))
}

func (l *Logger) Debugf(format string, args ...any)   { l.Logf(LevelDebug, format, args...) }
func (l *Logger) Verbosef(format string, args ...any) { l.Logf(LevelVerbose, format, args...) }
func (l *Logger) Noticef(format string, args ...any)  { l.Logf(LevelNotice, format, args...) }
func (l *Logger) Warningf(format string, args ...any) { l.Logf(LevelWarning, format, args...) }
