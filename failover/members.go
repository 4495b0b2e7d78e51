package failover

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// A sentinel remembers the gossip addresses of the members it knew (the
// gossip-members file in its directory) and rejoins them when it starts, so that a
// cluster whose processes all restarted, in any order, meets again.
const membersFile = "gossip-members"

// rememberMembers rewrites the members file every second while the membership changes,
// until the sentinel stops.
func (s *Sentinel) rememberMembers() {
	defer s.wg.Done()
	path := filepath.Join(s.cfg.Dir, membersFile)
	saved, _ := os.ReadFile(path)
	for {
		select {
		case <-s.stop:
			return
		case <-time.After(time.Second):
		}
		var addrs []string
		for _, m := range s.gossip.Members() {
			if m.Name != s.cfg.ID {
				addrs = append(addrs, m.Addr)
			}
		}
		slices.Sort(addrs)
		text := strings.Join(addrs, "\n")
		if len(addrs) == 0 || text == string(saved) {
			continue
		}
		tmp := path + ".tmp"
		if os.WriteFile(tmp, []byte(text), 0o644) == nil && os.Rename(tmp, path) == nil {
			saved = []byte(text)
		}
	}
}

// rejoinMembers joins the gossip through the members the file lists, retrying every
// second while none answers, until one does, someone else brings this sentinel in, or
// it stops.
func (s *Sentinel) rejoinMembers() {
	defer s.wg.Done()
	b, err := os.ReadFile(filepath.Join(s.cfg.Dir, membersFile))
	if err != nil {
		return
	}
	addrs := strings.Fields(string(b))
	for len(addrs) > 0 && len(s.gossip.Members()) <= 1 {
		if s.gossip.Join(addrs...) == nil {
			return
		}
		select {
		case <-s.stop:
			return
		case <-time.After(time.Second):
		}
	}
}
