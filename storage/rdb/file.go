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
	opFunction2    = 245
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

// Save writes every database of e as an RDB file. The caller holds every stripe (the
// file is the dataset at one moment).
func Save(w io.Writer, e *storage.Engine, opt SaveOptions) error {
	cw := &crcWriter{w: bufio.NewWriterSize(w, 64<<10)}
	out := fmt.Appendf(nil, "REDIS%04d", Version)
	for _, a := range opt.Aux {
		out = append(out, opAux)
		out = AppendString(out, []byte(a[0]))
		out = AppendString(out, []byte(a[1]))
	}
	for _, code := range opt.Functions {
		out = append(out, opFunction2)
		out = encoder{opt.Compress}.str(out, []byte(code))
	}
	if _, err := cw.Write(out); err != nil {
		return err
	}
	var buf []byte
	var werr error
	for i := range e.NumDBs() {
		db := e.DB(i)
		if db.Size() == 0 {
			continue
		}
		buf = append(buf[:0], opSelectDB)
		buf = AppendLen(buf, uint64(i))
		buf = append(buf, opResizeDB)
		buf = AppendLen(buf, uint64(db.Size()))
		buf = AppendLen(buf, uint64(db.Volatile()))
		if _, err := cw.Write(buf); err != nil {
			return err
		}
		for slot := db.NextNonEmpty(0); slot >= 0 && werr == nil; slot = db.NextNonEmpty(slot + 1) {
			db.EachInSlot(slot, opt.Now, func(key, str []byte, v storage.Value, expire int64) {
				if werr != nil {
					return
				}
				buf = buf[:0]
				if expire != 0 {
					buf = binary.LittleEndian.AppendUint64(append(buf, opExpireTimeMs), uint64(expire))
				}
				// The type byte goes before the key: encode the value, then splice.
				val, err := AppendValue(nil, str, v, opt.Compress)
				if err != nil {
					werr = fmt.Errorf("key %q: %w", key, err)
					return
				}
				buf = append(buf, val[0])
				buf = encoder{opt.Compress}.str(buf, key)
				buf = append(buf, val[1:]...)
				_, werr = cw.Write(buf)
			})
			if slot+1 >= storage.SlotCount {
				break
			}
		}
		if werr != nil {
			return werr
		}
	}
	if _, err := cw.Write([]byte{opEOF}); err != nil {
		return err
	}
	sum := uint64(0)
	if opt.Checksum {
		sum = cw.crc
	}
	if _, err := cw.w.Write(binary.LittleEndian.AppendUint64(nil, sum)); err != nil {
		return err
	}
	return cw.w.Flush()
}

// LoadHandler receives what Load decodes.
type LoadHandler struct {
	Key      func(db int, key, str []byte, v storage.Value, expire int64) error
	Function func(code string) error
	Aux      func(key, value string)
}

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
	if len(data) < 9 || string(data[:5]) != "REDIS" {
		return &LoadError{0, fmt.Errorf("wrong signature trying to load DB from file")}
	}
	ver, err := strconv.Atoi(string(data[5:9]))
	if err != nil || ver < 1 || ver > Version {
		return &LoadError{5, fmt.Errorf("can't handle RDB format version %s", data[5:9])}
	}
	r := &Reader{B: data, Off: 9}
	db := 0
	var expire int64
	fail := func(err error) error { return &LoadError{r.Off, err} }
	for {
		op, err := r.byte()
		if err != nil {
			return fail(fmt.Errorf("unexpected end of file"))
		}
		switch op {
		case opEOF:
			if ver >= 5 && len(data)-r.Off >= 8 {
				sum := binary.LittleEndian.Uint64(data[r.Off:])
				if sum != 0 && sum != CRC64(0, data[:r.Off]) {
					return fail(fmt.Errorf("wrong RDB checksum"))
				}
			}
			return nil
		case opSelectDB:
			n, enc, err := r.Len()
			if err != nil || enc {
				return fail(ErrBadFormat)
			}
			db = int(n)
		case opResizeDB:
			if _, _, err := r.Len(); err != nil {
				return fail(err)
			}
			if _, _, err := r.Len(); err != nil {
				return fail(err)
			}
		case opExpireTimeMs:
			b, err := r.take(8)
			if err != nil {
				return fail(err)
			}
			expire = int64(binary.LittleEndian.Uint64(b))
		case opExpireTime:
			b, err := r.take(4)
			if err != nil {
				return fail(err)
			}
			expire = int64(binary.LittleEndian.Uint32(b)) * 1000
		case opIdle:
			if _, _, err := r.Len(); err != nil {
				return fail(err)
			}
		case opFreq:
			if _, err := r.byte(); err != nil {
				return fail(err)
			}
		case opAux:
			k, err := r.String()
			if err != nil {
				return fail(err)
			}
			v, err := r.String()
			if err != nil {
				return fail(err)
			}
			if h.Aux != nil {
				h.Aux(string(k), string(v))
			}
		case opFunction2:
			code, err := r.String()
			if err != nil {
				return fail(err)
			}
			if h.Function != nil {
				if err := h.Function(string(code)); err != nil {
					return fail(err)
				}
			}
		case opModuleAux:
			return fail(fmt.Errorf("module data is not supported"))
		default:
			key, err := r.String()
			if err != nil {
				return fail(err)
			}
			key = append([]byte(nil), key...)
			str, v, err := r.ReadValue(op, lim)
			if err != nil {
				return fail(fmt.Errorf("value of key %q (type %d): %w", key, op, err))
			}
			if str != nil {
				str = append([]byte(nil), str...)
			}
			if err := h.Key(db, key, str, v, expire); err != nil {
				return fail(err)
			}
			expire = 0
		}
	}
}
