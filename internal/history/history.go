// Package history records what clients did to a cluster — every operation with the
// times it was called and returned and what came back — and checks the record:
// linearizability of registers (with github.com/anishathalye/porcupine), and lost or
// duplicated elements of append-only lists. The reliability tests drive workloads
// through it while faults are injected.
package history

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
)

// Outcome classifies an operation's end.
type Outcome int

const (
	// Ok: the operation happened, with the output recorded.
	Ok Outcome = iota
	// Failed: the operation definitely did not happen (the server refused it before
	// running it: MOVED, CLUSTERDOWN, NOREPLICAS, READONLY, LOADING …).
	Failed
	// Unknown: the operation may or may not have happened (a timeout, a connection
	// lost, an error whose meaning is not known).
	Unknown
)

// Classify tells what an error from a go-redis call means for the operation.
// redis.Nil (a missing key) is Ok.
func Classify(err error) Outcome {
	if err == nil || errors.Is(err, redis.Nil) {
		return Ok
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := err.Error()
		if strings.Contains(msg, "may or may not") { // (the proxy's word for a lost reply)
			return Unknown
		}
		for _, p := range []string{"MOVED", "ASK", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS", "READONLY", "LOADING",
			"CROSSSLOT", "MASTERDOWN", "OOM", "NOAUTH", "WRONGPASS", "NOPERM", "ERR"} {
			if strings.HasPrefix(msg, p) {
				return Failed
			}
		}
		return Unknown
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return Failed // never sent: the connection was not made
	}
	return Unknown // timeouts, lost connections (io.EOF) and anything else
}

// Register is an operation on a string register (a key): Write sets Value, Cas sets
// Value if the register holds Old (a compare-and-set), a read returns the value
// (Found false when the key is absent).
type Register struct {
	Key   string
	Write bool
	Cas   bool
	Old   string
	Value string
}

// RegisterOut is what a register operation returned: a read's value, or whether a
// compare-and-set swapped. Unknown marks a compare-and-set whose outcome is unknown
// (the recorder sets it).
type RegisterOut struct {
	Value   string
	Found   bool
	Swapped bool
	Unknown bool
}

// Recorder collects operations from concurrent clients.
type Recorder struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
	// Counts by outcome.
	ok, failed, unknown int
}

// NewRecorder starts a record; times are taken from now on.
func NewRecorder() *Recorder { return &Recorder{start: time.Now()} }

func (r *Recorder) now() int64 { return int64(time.Since(r.start)) }

// Do runs op for client (a small integer, one per goroutine) and records it: f
// performs it and returns the read's result (ignored for writes) and its error.
func (r *Recorder) Do(client int, op Register, f func() (RegisterOut, error)) (RegisterOut, error) {
	call := r.now()
	out, err := f()
	ret := r.now()
	outcome := Classify(err)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch outcome {
	case Ok:
		r.ok++
		r.ops = append(r.ops, porcupine.Operation{ClientId: client, Input: op, Call: call, Output: out, Return: ret})
	case Failed:
		r.failed++ // it did not happen: nothing to check
	case Unknown:
		r.unknown++
		if op.Write || op.Cas { // it may have happened at any time from its call on
			r.ops = append(r.ops, porcupine.Operation{ClientId: client, Input: op, Call: call,
				Output: RegisterOut{Unknown: true}, Return: math.MaxInt64})
		}
	}
	return out, err
}

// Counts returns how many operations succeeded, definitely failed, and ended
// unknown.
func (r *Recorder) Counts() (ok, failed, unknown int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok, r.failed, r.unknown
}

// registerModel is porcupine's model of independent string registers, one per key
// (nondeterministic: a compare-and-set of unknown outcome may or may not have
// swapped).
var registerModel = (&porcupine.NondeterministicModel{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(Register).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() []any { return []any{RegisterOut{}} },
	Step: func(state, input, output any) []any {
		in, out, st := input.(Register), output.(RegisterOut), state.(RegisterOut)
		set := RegisterOut{Value: in.Value, Found: true}
		switch {
		case in.Write:
			return []any{set}
		case in.Cas:
			match := st.Found && st.Value == in.Old
			switch {
			case out.Unknown && match:
				return []any{st, set}
			case out.Unknown:
				return []any{st}
			case out.Swapped != match:
				return nil
			case match:
				return []any{set}
			}
			return []any{st}
		case out == st:
			return []any{st}
		}
		return nil
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(Register), output.(RegisterOut)
		switch {
		case in.Write:
			return fmt.Sprintf("set(%s, %s)", in.Key, in.Value)
		case in.Cas && out.Unknown:
			return fmt.Sprintf("cas(%s, %s, %s) -> ?", in.Key, in.Old, in.Value)
		case in.Cas:
			return fmt.Sprintf("cas(%s, %s, %s) -> %v", in.Key, in.Old, in.Value, out.Swapped)
		}
		if !out.Found {
			return fmt.Sprintf("get(%s) -> nil", in.Key)
		}
		return fmt.Sprintf("get(%s) -> %s", in.Key, out.Value)
	},
}).ToModel()

// CheckLinearizable reports whether the recorded register history is linearizable
// ("unknown" when the checker ran out of time). When it is not and report is set,
// porcupine's visualization of the history is written there.
func (r *Recorder) CheckLinearizable(timeout time.Duration, report string) (porcupine.CheckResult, error) {
	r.mu.Lock()
	ops := append([]porcupine.Operation(nil), r.ops...)
	r.mu.Unlock()
	res, info := porcupine.CheckOperationsVerbose(registerModel, ops, timeout)
	if res == porcupine.Illegal && report != "" {
		f, err := os.Create(report)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if err := porcupine.Visualize(registerModel, info, f); err != nil {
			return res, err
		}
	}
	return res, nil
}

// WriteText writes the recorded operations, one per line in call order: client, call
// and return times (ms since the start; "?" for an unknown return), the operation.
func (r *Recorder) WriteText(w io.Writer) error {
	r.mu.Lock()
	ops := append([]porcupine.Operation(nil), r.ops...)
	r.mu.Unlock()
	slices.SortFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	for _, op := range ops {
		ret := "?"
		if op.Return != math.MaxInt64 {
			ret = fmt.Sprintf("%.3f", float64(op.Return)/1e6)
		}
		if _, err := fmt.Fprintf(w, "c%d %.3f %s %s\n", op.ClientId, float64(op.Call)/1e6, ret,
			registerModel.DescribeOperation(op.Input, op.Output)); err != nil {
			return err
		}
	}
	return nil
}
