package storage

import (
	"errors"
	"sync/atomic"
)

// Type is a key's data type, as TYPE names it.
type Type uint8

// The data types.
const (
	TypeNone Type = iota
	TypeString
	TypeList
	TypeSet
	TypeZSet
	TypeHash
	TypeStream
)

var typeNames = [...]string{"none", "string", "list", "set", "zset", "hash", "stream"}

// String is the name TYPE answers.
func (t Type) String() string { return typeNames[t] }

// ErrWrongType is returned when a key holds a value of another type than the operation
// needs; the node answers it with Redis's WRONGTYPE error.
var ErrWrongType = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")

// Value is a value other than a plain string: a collection, or a string that was changed
// in place (APPEND, SETRANGE, SETBIT …) and so keeps spare capacity.
//
// A Value is owned by the keyspace: callers use it only while holding its key's stripe.
type Value interface {
	// Type is the data type.
	Type() Type
	// Encoding is the name OBJECT ENCODING answers ("listpack", "hashtable", …).
	Encoding() string
	// Mem estimates the bytes the value occupies, including its own headers.
	Mem() int64
	// Clone returns a deep copy (COPY).
	Clone() Value
}

// Limits are the thresholds at which small collections leave their compact encoding,
// named after the Redis directives. They are read at every conversion decision and may be
// changed at any time (CONFIG SET).
type Limits struct {
	HashMaxListpackEntries atomic.Int64 // hash-max-listpack-entries, 512
	HashMaxListpackValue   atomic.Int64 // hash-max-listpack-value, 64
	SetMaxIntsetEntries    atomic.Int64 // set-max-intset-entries, 512
	ZsetMaxListpackEntries atomic.Int64 // zset-max-listpack-entries, 128
	ZsetMaxListpackValue   atomic.Int64 // zset-max-listpack-value, 64
	ListMaxListpackSize    atomic.Int64 // list-max-listpack-size, -2
	ListCompressDepth      atomic.Int64 // list-compress-depth, 0
}

// DefaultLimits returns Redis 7.0's defaults.
func DefaultLimits() *Limits {
	l := &Limits{}
	l.HashMaxListpackEntries.Store(512)
	l.HashMaxListpackValue.Store(64)
	l.SetMaxIntsetEntries.Store(512)
	l.ZsetMaxListpackEntries.Store(128)
	l.ZsetMaxListpackValue.Store(64)
	l.ListMaxListpackSize.Store(-2)
	return l
}

// RawString is a string value changed in place; it keeps spare capacity so repeated
// APPENDs are amortized O(1). OBJECT ENCODING calls it "raw".
type RawString struct {
	B []byte
}

func (s *RawString) Type() Type       { return TypeString }
func (s *RawString) Encoding() string { return "raw" }
func (s *RawString) Mem() int64       { return int64(cap(s.B)) + 32 }
func (s *RawString) Clone() Value     { return &RawString{B: append([]byte(nil), s.B...)} }

// Iterable is implemented by the list, set and sorted set values: SORT and other
// type-generic readers walk their elements through it (lists head to tail, sets in no
// particular order, sorted sets by ascending score).
type Iterable interface {
	Value
	Len() int
	Each(fn func(elem []byte) bool)
}
