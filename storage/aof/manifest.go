package aof

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/sds"
)

// File types in a manifest, as Redis names them.
const (
	TypeBase    = 'b'
	TypeHistory = 'h'
	TypeIncr    = 'i'
)

// FileInfo is one line of a manifest.
type FileInfo struct {
	Name string
	Seq  int64
	Type byte
}

// Manifest lists the files of an AOF directory: one base file (or none), the
// incremental files in the order they are replayed, and history files (superseded by
// a rewrite, to be deleted).
type Manifest struct {
	Base    *FileInfo
	Incr    []FileInfo
	History []FileInfo
	// CurBaseSeq and CurIncrSeq are the highest sequence numbers handed out so far.
	CurBaseSeq int64
	CurIncrSeq int64
}

// manifestLineMax is the longest manifest line Redis accepts.
const manifestLineMax = 1024

// ErrManifest is the error of a malformed manifest; the message says what is wrong.
var ErrManifest = errors.New("invalid AOF manifest")

func manifestErr(msg string) error { return fmt.Errorf("%w: %s", ErrManifest, msg) }

// ParseManifest decodes a manifest as Redis 7 writes it: one line per file, each a
// list of key/value pairs ("file <name> seq <n> type <b|h|i>", keys in any order,
// unknown keys ignored), '#' comment lines, names quoted when they need it.
func ParseManifest(data []byte) (*Manifest, error) {
	m := &Manifest{}
	var lastIncr int64
	lines := 0
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) >= manifestLineMax {
			return nil, manifestErr("The AOF manifest file contains too long line")
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		args, ok := sds.SplitArgs(string(line))
		if !ok || len(args) < 6 || len(args)%2 != 0 {
			return nil, manifestErr("Invalid AOF manifest file format")
		}
		var fi FileInfo
		for i := 0; i < len(args); i += 2 {
			switch strings.ToLower(args[i]) {
			case "file":
				fi.Name = args[i+1]
			case "seq":
				n, err := strconv.ParseInt(args[i+1], 10, 64)
				if err != nil {
					return nil, manifestErr("Invalid AOF manifest file format")
				}
				fi.Seq = n
			case "type":
				if len(args[i+1]) != 1 {
					return nil, manifestErr("Unknown AOF file type")
				}
				fi.Type = args[i+1][0]
			}
		}
		if fi.Name == "" || fi.Seq == 0 || fi.Type == 0 || !SafeName(fi.Name) {
			return nil, manifestErr("Invalid AOF manifest file format")
		}
		switch fi.Type {
		case TypeBase:
			if m.Base != nil {
				return nil, manifestErr("Found duplicate base file information")
			}
			b := fi
			m.Base = &b
			m.CurBaseSeq = fi.Seq
		case TypeHistory:
			m.History = append(m.History, fi)
		case TypeIncr:
			if fi.Seq <= lastIncr {
				return nil, manifestErr("Found a non-monotonic sequence number")
			}
			lastIncr = fi.Seq
			m.Incr = append(m.Incr, fi)
			m.CurIncrSeq = fi.Seq
		default:
			return nil, manifestErr("Unknown AOF file type")
		}
		lines++
	}
	if lines == 0 {
		return nil, manifestErr("Found an empty AOF manifest")
	}
	return m, nil
}

// SafeName reports whether name is a plain file name (no directory part), as a
// manifest may name.
func SafeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}

// Format encodes m as Redis writes it: base, history, then incremental files.
func (m *Manifest) Format() []byte {
	var b []byte
	line := func(fi FileInfo) {
		b = append(b, "file "...)
		b = append(b, quoteIfNeeded(fi.Name)...)
		b = append(b, " seq "...)
		b = strconv.AppendInt(b, fi.Seq, 10)
		b = append(b, " type "...)
		b = append(b, fi.Type, '\n')
	}
	if m.Base != nil {
		line(*m.Base)
	}
	for _, fi := range m.History {
		line(fi)
	}
	for _, fi := range m.Incr {
		line(fi)
	}
	return b
}

// Clone returns a deep copy of m.
func (m *Manifest) Clone() *Manifest {
	c := *m
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	c.Incr = append([]FileInfo(nil), m.Incr...)
	c.History = append([]FileInfo(nil), m.History...)
	return &c
}

// Names of the files of an AOF directory, from appendfilename (prefix).

// ManifestName is the manifest's file name.
func ManifestName(prefix string) string { return prefix + ".manifest" }

// BaseName is the name of base file seq: ".rdb" for an RDB preamble, else ".aof".
func BaseName(prefix string, seq int64, rdb bool) string {
	ext := ".aof"
	if rdb {
		ext = ".rdb"
	}
	return prefix + "." + strconv.FormatInt(seq, 10) + ".base" + ext
}

// IncrName is the name of incremental file seq.
func IncrName(prefix string, seq int64) string {
	return prefix + "." + strconv.FormatInt(seq, 10) + ".incr.aof"
}

// NextIncr appends a new incremental file to m and returns it.
func (m *Manifest) NextIncr(prefix string) FileInfo {
	m.CurIncrSeq++
	fi := FileInfo{Name: IncrName(prefix, m.CurIncrSeq), Seq: m.CurIncrSeq, Type: TypeIncr}
	m.Incr = append(m.Incr, fi)
	return fi
}

// NextBase names the next base file (not yet part of m: see InstallBase).
func (m *Manifest) NextBase(prefix string, rdb bool) FileInfo {
	seq := m.CurBaseSeq + 1
	return FileInfo{Name: BaseName(prefix, seq, rdb), Seq: seq, Type: TypeBase}
}

// InstallBase makes base the base file after a rewrite: the old base and every
// incremental file before keepFrom (the one opened when the rewrite started) become
// history.
func (m *Manifest) InstallBase(base FileInfo, keepFrom int64) {
	if m.Base != nil {
		old := *m.Base
		old.Type = TypeHistory
		m.History = append(m.History, old)
	}
	b := base
	m.Base = &b
	m.CurBaseSeq = base.Seq
	var keep []FileInfo
	for _, fi := range m.Incr {
		if fi.Seq < keepFrom {
			fi.Type = TypeHistory
			m.History = append(m.History, fi)
		} else {
			keep = append(keep, fi)
		}
	}
	m.Incr = keep
}

// WriteManifest writes m into dir atomically: a temporary file, fsync, rename, fsync
// of the directory.
func WriteManifest(dir, prefix string, m *Manifest) error {
	name := ManifestName(prefix)
	tmp := filepath.Join(dir, "temp-"+name)
	if err := WriteFileSync(tmp, m.Format()); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(dir)
}

// ReadManifest reads dir's manifest; os.ErrNotExist when there is none.
func ReadManifest(dir, prefix string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName(prefix)))
	if err != nil {
		return nil, err
	}
	return ParseManifest(data)
}

// WriteFileSync writes data to a new file at path and fsyncs it.
func WriteFileSync(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// SyncDir fsyncs a directory, making renames and creations in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// quoteIfNeeded quotes a name holding spaces, quotes or unprintable bytes, as Redis's
// sdsneedsrepr and sdscatrepr, so SplitArgs reads it back — also a name with a single
// quote, which Redis writes bare and then cannot read (sdssplitargs takes it for an
// unterminated quoted string).
func quoteIfNeeded(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '"' || c == '\'' || c == '\\' || c >= 0x7f {
			return sds.Repr(s)
		}
	}
	return s
}
