package history

import (
	"fmt"
	"sync"
)

// Appends records elements appended to lists (RPUSH of unique elements) and checks
// the lists read at the end: every acknowledged element must be there (else lost),
// none twice (duplicated), and none that was never sent (phantom). Elements whose
// append ended unknown may or may not be there.
type Appends struct {
	mu   sync.Mutex
	sent map[string]map[string]Outcome // key → element → how its append ended
}

// NewAppends starts a record.
func NewAppends() *Appends { return &Appends{sent: map[string]map[string]Outcome{}} }

// Record notes that elem was appended to key with the error err.
func (a *Appends) Record(key, elem string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sent[key] == nil {
		a.sent[key] = map[string]Outcome{}
	}
	a.sent[key][elem] = Classify(err)
}

// Verdict is what Check found.
type Verdict struct {
	Acknowledged, Unknown     int      // appends that succeeded, that ended unknown
	Lost, Duplicated, Phantom []string // "key/elem" of each element found so
}

// String summarizes v.
func (v Verdict) String() string {
	return fmt.Sprintf("%d acknowledged, %d unknown; lost %d, duplicated %d, phantom %d",
		v.Acknowledged, v.Unknown, len(v.Lost), len(v.Duplicated), len(v.Phantom))
}

// Check compares the record with the lists as read (key → elements in order).
func (a *Appends) Check(lists map[string][]string) Verdict {
	a.mu.Lock()
	defer a.mu.Unlock()
	var v Verdict
	for key, sent := range a.sent {
		seen := map[string]int{}
		for _, e := range lists[key] {
			seen[e]++
		}
		for e, outcome := range sent {
			switch outcome {
			case Ok:
				v.Acknowledged++
				if seen[e] == 0 {
					v.Lost = append(v.Lost, key+"/"+e)
				}
			case Unknown:
				v.Unknown++
			}
		}
		for e, n := range seen {
			if n > 1 {
				v.Duplicated = append(v.Duplicated, key+"/"+e)
			}
			if o, ok := sent[e]; !ok || o == Failed {
				v.Phantom = append(v.Phantom, key+"/"+e)
			}
		}
	}
	return v
}
