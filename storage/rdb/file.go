package rdb

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"

	"github.com/shoal-db/shoal/storage"
)

// RDB file opcodes.
const (
	OpFunction2    = 245 // a function library (FUNCTION DUMP payloads use it too)
	opModuleAux    = 247
	opIdle         = 248
	opFreq         = 249
	opAux          = 250
	opResizeDB     = 251
	opExpireTimeMs = 252
	opExpireTime   = 253
	opSelectDB     = 254
	opEOF          = 255
)

// SaveOptions are what a snapshot writes besides the data.
type SaveOptions struct {
	Aux       [][2]string // aux fields, in order ("redis-ver", …)
	Functions []string    // function library codes
	Checksum  bool        // rdbchecksum: write the CRC64 (else 0)
	Compress  bool        // rdbcompression: LZF for strings over 20 bytes
	Now       int64       // Unix ms: keys expired by then are left out
	Hints     Hints       // the access hints written with each key
}

// Hints says which access hint goes with each key, as Redis writes them: the idle
// time under an LRU maxmemory policy, the LFU counter under an LFU one.
type Hints int

const (
	NoHints Hints = iota
	IdleHints
	FreqHints
)

// Hint is a key's access hint as a file holds it; -1 when absent.
type Hint struct {
	Idle int64 // seconds (RDB_OPCODE_IDLE)
	Freq int64 // LFU counter (RDB_OPCODE_FREQ)
}

// crcWriter computes the CRC64 of what goes through it.
type crcWriter struct {
	w   *bufio.Writer
	crc uint64
	n   int64
}

func (c *crcWriter) Write(b []byte) (int, error) {
	c.crc = CRC64(c.crc, b)
	c.n += int64(len(b))
	return c.w.Write(b)
}

// FileWriter writes an RDB file in pieces: the header (with aux fields and function
// libraries) when created, then chunks of entries in any order (each starts with its
// SELECTDB), then the end marker and checksum (Finish).
type FileWriter struct {
	cw  *crcWriter
	opt SaveOptions
}

// NewFileWriter writes the header to w.
func NewFileWriter(w io.Writer, opt SaveOptions) (*FileWriter, error) {
	fw := &FileWriter{cw: &crcWriter{w: bufio.NewWriterSize(w, 64<<10)}, opt: opt}
	e := encoder{opt.Compress}
	out := fmt.Appendf(nil, "REDIS%04d", Version)
	for _, a := range opt.Aux {
		out = append(out, opAux)
		out = AppendString(out, []byte(a[0]))
		out = AppendString(out, []byte(a[1]))
	}
	for _, code := range opt.Functions {
		out = append(out, OpFunction2)
		out = e.str(out, []byte(code))
	}
	_, err := fw.cw.Write(out)
	return fw, err
}

// Write adds a chunk built with AppendSelectDB and AppendEntry.
func (fw *FileWriter) Write(chunk []byte) error {
	_, err := fw.cw.Write(chunk)
	return err
}

// Finish writes the end marker and the checksum, and flushes.
func (fw *FileWriter) Finish() error {
	if _, err := fw.cw.Write([]byte{opEOF}); err != nil {
		return err
	}
	sum := uint64(0)
	if fw.opt.Checksum {
		sum = fw.cw.crc
	}
	if _, err := fw.cw.w.Write(binary.LittleEndian.AppendUint64(nil, sum)); err != nil {
		return err
	}
	return fw.cw.w.Flush()
}

// AppendSelectDB starts a chunk of database db's entries.
func AppendSelectDB(b []byte, db int) []byte {
	return AppendLen(append(b, opSelectDB), uint64(db))
}

// AppendEntry appends one key: its expire (0: none), access hint (per hints), type,
// name and value. It encodes in place (the name goes in after the value's type byte),
// allocating nothing when b has room.
func AppendEntry(b, key, str []byte, v storage.Value, expire int64, acc storage.Access, hints Hints, compress bool) ([]byte, error) {
	if expire != 0 {
		b = binary.LittleEndian.AppendUint64(append(b, opExpireTimeMs), uint64(expire))
	}
	switch hints {
	case IdleHints:
		b = AppendLen(append(b, opIdle), uint64(acc.Idle))
	case FreqHints:
		b = append(b, opFreq, byte(acc.Freq))
	}
	at := len(b)
	b = encoder{compress}.str(b, key) // the name, moved behind the type byte below
	nameLen := len(b) - at
	b, err := AppendValue(b, str, v, compress)
	if err != nil {
		return b[:at], fmt.Errorf("key %q: %w", key, err)
	}
	typ := b[at+nameLen]
	copy(b[at+1:at+nameLen+1], b[at:at+nameLen])
	b[at] = typ
	return b, nil
}

// AppendSlot appends the entries of one slot, in every database that has keys in it,
// as chunks (SELECTDB, entries); keys expired at now are left out. The caller holds the
// slot's stripe.
func AppendSlot(b []byte, e *storage.Engine, slot int, now int64, hints Hints, compress bool) ([]byte, error) {
	var err error
	for i := range e.NumDBs() {
		db := e.DB(i)
		if db.SlotSize(slot) == 0 {
			continue
		}
		b = AppendSelectDB(b, i)
		db.EachInSlot(slot, now, hints != NoHints, func(key, str []byte, v storage.Value, expire int64, acc storage.Access) {
			if err == nil {
				b, err = AppendEntry(b, key, str, v, expire, acc, hints, compress)
			}
		})
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// Save writes every database of e as an RDB file. The caller holds every stripe (the
// file is the dataset at one moment).
func Save(w io.Writer, e *storage.Engine, opt SaveOptions) error {
	fw, err := NewFileWriter(w, opt)
	if err != nil {
		return err
	}
	var buf []byte
	for slot := range storage.SlotCount {
		if buf, err = AppendSlot(buf[:0], e, slot, opt.Now, opt.Hints, opt.Compress); err != nil {
			return err
		}
		if len(buf) > 0 {
			if err := fw.Write(buf); err != nil {
				return err
			}
		}
	}
	return fw.Finish()
}

// LoadHandler receives what Load decodes.
type LoadHandler struct {
	// Key receives one key: a string value as str (v nil), any other as v, and its
	// access hint. key and str may alias the loader's buffers: valid during the call
	// only.
	Key func(db int, key, str []byte, v storage.Value, expire int64, hint Hint) error
	// Resize, if set, receives a RESIZEDB hint: database db is about to get n keys.
	Resize   func(db int, n uint64)
	Function func(code string) error
	Aux      func(key, value string)
	// Progress, if set, is called with the offset reached every progressEvery keys.
	Progress func(off int)
}

// progressEvery is how many keys pass between LoadHandler.Progress calls.
const progressEvery = 1024

// LoadError is a decoding failure at an offset of the file.
type LoadError struct {
	Off int
	Err error
}

func (e *LoadError) Error() string { return fmt.Sprintf("at offset %d: %v", e.Off, e.Err) }

func (e *LoadError) Unwrap() error { return e.Err }

// Load decodes an RDB file held in data (any version Redis 7.0 reads, for the types
// this package decodes), calling h for each key, function and aux field.
func Load(data []byte, lim *storage.Limits, h LoadHandler) error {
	_, err := LoadPrefix(data, lim, h)
	return err
}

// LoadPrefix is Load for data that starts with an RDB file and may hold more after it
// (an AOF with an RDB preamble): it returns the length of the RDB part.
func LoadPrefix(data []byte, lim *storage.Limits, h LoadHandler) (int, error) {
	if len(data) < 9 || string(data[:5]) != "REDIS" {
		return 0, &LoadError{0, fmt.Errorf("wrong signature trying to load DB from file")}
	}
	ver, err := strconv.Atoi(string(data[5:9]))
	if err != nil || ver < 1 || ver > Version {
		return 0, &LoadError{5, fmt.Errorf("can't handle RDB format version %s", data[5:9])}
	}
	r := &Reader{B: data, Off: 9}
	db := 0
	var expire int64
	hint := Hint{-1, -1}
	keys := 0
	fail := func(err error) error { return &LoadError{r.Off, err} }
	for {
		op, err := r.byte()
		if err != nil {
			return 0, fail(fmt.Errorf("unexpected end of file"))
		}
		switch op {
		case opEOF:
			if ver < 5 {
				return r.Off, nil
			}
			if len(data)-r.Off < 8 {
				return 0, fail(fmt.Errorf("unexpected end of file"))
			}
			sum := binary.LittleEndian.Uint64(data[r.Off:])
			if sum != 0 && sum != CRC64(0, data[:r.Off]) {
				return 0, fail(fmt.Errorf("wrong RDB checksum"))
			}
			return r.Off + 8, nil
		case opSelectDB:
			n, enc, err := r.Len()
			if err != nil || enc {
				return 0, fail(ErrBadFormat)
			}
			db = int(n)
		case opResizeDB:
			n, _, err := r.Len()
			if err != nil {
				return 0, fail(err)
			}
			if _, _, err := r.Len(); err != nil {
				return 0, fail(err)
			}
			if h.Resize != nil {
				h.Resize(db, n)
			}
		case opExpireTimeMs:
			b, err := r.take(8)
			if err != nil {
				return 0, fail(err)
			}
			expire = int64(binary.LittleEndian.Uint64(b))
		case opExpireTime:
			b, err := r.take(4)
			if err != nil {
				return 0, fail(err)
			}
			expire = int64(binary.LittleEndian.Uint32(b)) * 1000
		case opIdle:
			n, _, err := r.Len()
			if err != nil {
				return 0, fail(err)
			}
			hint.Idle = int64(min(n, 1<<62))
		case opFreq:
			f, err := r.byte()
			if err != nil {
				return 0, fail(err)
			}
			hint.Freq = int64(f)
		case opAux:
			k, err := r.String()
			if err != nil {
				return 0, fail(err)
			}
			v, err := r.String()
			if err != nil {
				return 0, fail(err)
			}
			if h.Aux != nil {
				h.Aux(string(k), string(v))
			}
		case OpFunction2:
			code, err := r.String()
			if err != nil {
				return 0, fail(err)
			}
			if h.Function != nil {
				if err := h.Function(string(code)); err != nil {
					return 0, fail(err)
				}
			}
		case opModuleAux:
			return 0, fail(fmt.Errorf("module data is not supported"))
		default:
			key, err := r.String()
			if err != nil {
				return 0, fail(err)
			}
			str, v, err := r.ReadValue(op, lim)
			if err != nil {
				return 0, fail(fmt.Errorf("value of key %q (type %d): %w", key, op, err))
			}
			if err := h.Key(db, key, str, v, expire, hint); err != nil {
				return 0, fail(err)
			}
			expire, hint = 0, Hint{-1, -1}
			if keys++; h.Progress != nil && keys%progressEvery == 0 {
				h.Progress(r.Off)
			}
		}
	}
}
