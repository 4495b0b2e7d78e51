package history

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Availability measures the share of operations that succeeded while faults were in
// force and while none was (from each operation's call time), and counts the errors
// by kind. Operations that failed or ended unknown count as unavailable.
type Availability struct {
	mu      sync.Mutex
	faulty  bool
	during  [2]int // ok, all
	outside [2]int
	errs    map[string]int // error kind → count
}

// Fault marks the start (on) or end (off) of a fault.
func (a *Availability) Fault(on bool) {
	a.mu.Lock()
	a.faulty = on
	a.mu.Unlock()
}

// Time runs op, and counts it as its error says, in the window it was called in.
func (a *Availability) Time(op func() error) error {
	a.mu.Lock()
	w := &a.outside
	if a.faulty {
		w = &a.during
	}
	a.mu.Unlock()
	err := op()
	a.mu.Lock()
	w[1]++
	if Classify(err) == Ok {
		w[0]++
	} else {
		if a.errs == nil {
			a.errs = map[string]int{}
		}
		a.errs[errKind(err)]++
	}
	a.mu.Unlock()
	return err
}

// errKind names an error's kind: a server error's code (MOVED, CLUSTERDOWN …),
// "timeout", "EOF", "dial" (no connection made), or "other".
func errKind(err error) string {
	var rerr redis.Error
	var op *net.OpError
	switch {
	case errors.As(err, &rerr):
		code, _, _ := strings.Cut(err.Error(), " ")
		return code
	case errors.As(err, &op) && op.Op == "dial":
		return "dial"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "other"
}

// Ops is how many operations were counted in all.
func (a *Availability) Ops() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.during[1] + a.outside[1]
}

// String reports the two shares and the errors, as "available 41.2% during faults
// (1204 ops), 99.9% outside (3110 ops); errors: CLUSTERDOWN 690, timeout 18".
func (a *Availability) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	share := func(w [2]int) string {
		if w[1] == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(w[0])/float64(w[1]))
	}
	kinds := slices.Sorted(maps.Keys(a.errs))
	slices.SortStableFunc(kinds, func(x, y string) int { return a.errs[y] - a.errs[x] })
	var errs []string
	for _, k := range kinds {
		errs = append(errs, fmt.Sprintf("%s %d", k, a.errs[k]))
	}
	if len(errs) == 0 {
		errs = []string{"none"}
	}
	return fmt.Sprintf("available %s during faults (%d ops), %s outside (%d ops); errors: %s",
		share(a.during), a.during[1], share(a.outside), a.outside[1], strings.Join(errs, ", "))
}
