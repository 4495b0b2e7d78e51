package history

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
)

// TestClassify: refusals are failures, lost replies and timeouts unknown.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Outcome
	}{
		{nil, Ok}, {redis.Nil, Ok},
		{proto("MOVED 1 127.0.0.1:7000"), Failed}, {proto("NOREPLICAS Not enough good replicas to write."), Failed},
		{proto("CLUSTERDOWN The cluster is down"), Failed}, {proto("READONLY You can't write against a read only replica."), Failed},
		{proto("ERR the node's connection failed: the command may or may not have run"), Unknown},
		{io.EOF, Unknown}, {errors.New("i/o timeout"), Unknown},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, Failed},
		{&net.OpError{Op: "read", Err: errors.New("connection reset")}, Unknown},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

type proto string

func (p proto) Error() string { return string(p) }
func (p proto) RedisError()   {}

// TestCheckLinearizable: a history where a read sees a value no write gave, or an
// overwritten one after the overwrite returned, is not linearizable; one with a write
// of unknown outcome that a later read sees is.
func TestCheckLinearizable(t *testing.T) {
	op := func(client int, in Register, out RegisterOut, call, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret}
	}
	for _, tc := range []struct {
		name string
		ops  []porcupine.Operation
		want porcupine.CheckResult
	}{
		{"sequential", []porcupine.Operation{
			op(0, Register{Key: "k", Write: true, Value: "1"}, RegisterOut{}, 0, 10),
			op(1, Register{Key: "k"}, RegisterOut{Value: "1", Found: true}, 20, 30),
		}, porcupine.Ok},
		{"stale read", []porcupine.Operation{
			op(0, Register{Key: "k", Write: true, Value: "1"}, RegisterOut{}, 0, 10),
			op(0, Register{Key: "k", Write: true, Value: "2"}, RegisterOut{}, 20, 30),
			op(1, Register{Key: "k"}, RegisterOut{Value: "1", Found: true}, 40, 50),
		}, porcupine.Illegal},
		{"unknown write seen", []porcupine.Operation{
			op(0, Register{Key: "k", Write: true, Value: "1"}, RegisterOut{}, 0, 1<<62),
			op(1, Register{Key: "k"}, RegisterOut{}, 5, 6),
			op(1, Register{Key: "k"}, RegisterOut{Value: "1", Found: true}, 40, 50),
		}, porcupine.Ok},
		{"lost write", []porcupine.Operation{
			op(0, Register{Key: "k", Write: true, Value: "1"}, RegisterOut{}, 0, 10),
			op(1, Register{Key: "k"}, RegisterOut{}, 20, 30),
		}, porcupine.Illegal},
		{"compare-and-set", []porcupine.Operation{
			op(0, Register{Key: "k", Write: true, Value: "1"}, RegisterOut{}, 0, 10),
			op(1, Register{Key: "k", Cas: true, Old: "1", Value: "2"}, RegisterOut{Swapped: true}, 20, 30),
			op(0, Register{Key: "k", Cas: true, Old: "1", Value: "3"}, RegisterOut{}, 40, 50),
			op(1, Register{Key: "k"}, RegisterOut{Value: "2", Found: true}, 60, 70),
		}, porcupine.Ok},
		{"compare-and-set swapped twice", []porcupine.Operation{
			op(0, Register{Key: "k", Write: true, Value: "1"}, RegisterOut{}, 0, 10),
			op(1, Register{Key: "k", Cas: true, Old: "1", Value: "2"}, RegisterOut{Swapped: true}, 20, 30),
			op(0, Register{Key: "k", Cas: true, Old: "1", Value: "3"}, RegisterOut{Swapped: true}, 40, 50),
		}, porcupine.Illegal},
		{"compare-and-set of unknown outcome, seen or not", []porcupine.Operation{
			op(0, Register{Key: "k", Write: true, Value: "1"}, RegisterOut{}, 0, 10),
			op(1, Register{Key: "k", Cas: true, Old: "1", Value: "2"}, RegisterOut{Unknown: true}, 20, 1<<62),
			op(0, Register{Key: "k"}, RegisterOut{Value: "1", Found: true}, 40, 50),
			op(0, Register{Key: "k"}, RegisterOut{Value: "2", Found: true}, 60, 70),
		}, porcupine.Ok},
	} {
		r := NewRecorder()
		r.ops = tc.ops
		got, err := r.CheckLinearizable(time.Second, "")
		if err != nil || got != tc.want {
			t.Errorf("%s: %v %v, want %v", tc.name, got, err, tc.want)
		}
	}
}

// TestAppends: lost, duplicated and phantom elements are found; unknown ones are
// allowed either way.
func TestAppends(t *testing.T) {
	a := NewAppends()
	a.Record("k", "1", nil)
	a.Record("k", "2", nil)
	a.Record("k", "3", io.EOF)                      // unknown
	a.Record("k", "4", proto("NOREPLICAS no good")) // failed: must not be there
	a.Record("k", "5", nil)
	v := a.Check(map[string][]string{"k": {"1", "2", "2", "4", "9"}})
	if v.Acknowledged != 3 || v.Unknown != 1 || fmt.Sprint(v.Lost) != "[k/5]" || fmt.Sprint(v.Duplicated) != "[k/2]" ||
		len(v.Phantom) != 2 {
		t.Errorf("%s: lost %v duplicated %v phantom %v", v, v.Lost, v.Duplicated, v.Phantom)
	}
}

// TestAvailability: operations count in the window they were called in, a missing
// key is a success, and errors are counted by kind.
func TestAvailability(t *testing.T) {
	var a Availability
	a.Time(func() error { return nil })
	a.Fault(true)
	a.Time(func() error { return redis.Nil })
	a.Time(func() error { return proto("CLUSTERDOWN The cluster is down") })
	a.Time(func() error { return io.EOF })
	a.Fault(false)
	a.Time(func() error { return proto("CLUSTERDOWN The cluster is down") })
	want := "available 33.3% during faults (3 ops), 50.0% outside (2 ops); errors: CLUSTERDOWN 2, EOF 1"
	if got := a.String(); got != want || a.Ops() != 5 {
		t.Errorf("%q (%d ops), want %q", got, a.Ops(), want)
	}
}
