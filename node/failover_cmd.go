package node

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shoal-db/shoal/storage"
)

// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: a coordinated hand-over from
// a standalone primary to one of its replicas, as Redis 6.2+ does it. The primary
// pauses its clients' writes, waits until a replica (the one named, or any) has
// acknowledged its whole stream, then becomes a replica of it and asks it, with
// "PSYNC <replid> <offset> FAILOVER", to take over; the replica, finding its own
// history named, turns primary and continues with the old one partially. No
// acknowledged write is lost; the writes held meanwhile then meet a replica
// (-READONLY). With TIMEOUT the wait is bounded: past it the failover is aborted,
// or with FORCE carried out anyway. INFO replication's master_failover_state shows
// the stage.

const (
	foNone       = iota // no-failover
	foWaitSync          // waiting-for-sync: writes paused, waiting for a replica
	foInProgress        // failover-in-progress: following the target, PSYNC FAILOVER sent
)

type failoverState struct {
	mu    sync.Mutex
	state int
	host  string // target ("" until one is chosen when none was named)
	port  int
	force bool
	end   time.Time     // the wait's deadline (zero: none)
	done  chan struct{} // closed when the failover ends (aborted or not)
}

func (f *failoverState) stateName() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return [...]string{"no-failover", "waiting-for-sync", "failover-in-progress"}[f.state]
}

// inProgress reports whether the server follows a failover target (its PSYNC then
// carries FAILOVER).
func (f *failoverState) inProgress() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state == foInProgress
}

func cmdFailover(c *Client) {
	s := c.s
	if s.config().ClusterEnabled {
		c.Err("ERR FAILOVER not allowed in cluster mode.")
		return
	}
	var host string
	var port, timeout int64
	force, abort := false, false
	for i := 1; i < len(c.args); i++ {
		switch {
		case c.is(i, "TO") && i+2 < len(c.args) && host == "":
			p, ok := c.intArg(i + 2)
			if !ok {
				return
			}
			host, port = string(c.args[i+1]), p
			i += 2
		case c.is(i, "TIMEOUT") && i+1 < len(c.args) && timeout == 0:
			t, ok := storage.ParseInt(c.args[i+1])
			if !ok || t <= 0 {
				c.Err("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeout = t
			i++
		case c.is(i, "FORCE") && !force:
			force = true
		case c.is(i, "ABORT") && !abort:
			abort = true
		default:
			c.Err(errSyntax)
			return
		}
	}
	f := &s.fo
	if abort {
		if force || timeout > 0 || host != "" {
			c.Err(errSyntax)
			return
		}
		if f.stateName() == "no-failover" {
			c.Err("ERR No failover in progress.")
			return
		}
		s.abortFailover("Failover manually aborted")
		c.OK()
		return
	}
	if s.up.following.Load() {
		c.Err("ERR FAILOVER is not valid when server is a replica.")
		return
	}
	r := &s.repl
	r.mu.Lock()
	n := len(r.replicas)
	target := -1
	for i, rp := range r.replicas {
		if host != "" && rp.host() == host && int64(rp.port) == port {
			target = i
			if rp.state != replOnline {
				target = -2
			}
		}
	}
	r.mu.Unlock()
	switch {
	case n == 0:
		c.Err("ERR FAILOVER requires connected replicas.")
		return
	case force && (timeout == 0 || host == ""):
		c.Err("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	case f.stateName() != "no-failover":
		c.Err("ERR FAILOVER already in progress.")
		return
	case host != "" && target == -1:
		c.Err("ERR FAILOVER target HOST and PORT is not a replica.")
		return
	case host != "" && target == -2:
		c.Err("ERR FAILOVER target replica is not online.")
		return
	}
	f.mu.Lock()
	f.state, f.host, f.port, f.force, f.end = foWaitSync, host, int(port), force, time.Time{}
	if timeout > 0 {
		f.end = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	f.done = make(chan struct{})
	done := f.done
	f.mu.Unlock()
	if host != "" {
		s.log.Noticef("FAILOVER requested to %s:%d.", host, port)
	} else {
		s.log.Noticef("FAILOVER requested to any replica.")
	}
	// Writes wait (an hour at most: the failover ends the pause), and none still runs.
	s.pauseClients(time.Now().Add(time.Hour), false, !c.held)
	s.goTracked(func() { s.awaitFailoverTarget(done) })
	c.OK()
}

// awaitFailoverTarget waits, while the failover started is waiting-for-sync, for a
// replica (the target, if named) to acknowledge the whole stream, then follows it;
// past the deadline it aborts, or with FORCE follows the target anyway.
func (s *Server) awaitFailoverTarget(done chan struct{}) {
	f := &s.fo
	askedAt := time.Time{}
	for {
		if time.Since(askedAt) > time.Second {
			// Ask the replicas where they stand now rather than at their next ACK.
			s.askAcks()
			askedAt = time.Now()
		}
		select {
		case <-done:
			return
		case <-s.stop:
			return
		case <-time.After(10 * time.Millisecond):
		}
		f.mu.Lock()
		want, wantPort, force, end := f.host, f.port, f.force, f.end
		f.mu.Unlock()
		host, port, ok := s.syncedReplica(want, wantPort)
		if !ok && !end.IsZero() && time.Now().After(end) {
			if !force {
				s.abortFailover("Replica never caught up before timeout")
				return
			}
			host, port, ok = want, wantPort, true
		}
		if !ok {
			continue
		}
		f.mu.Lock()
		if f.done != done { // aborted meanwhile
			f.mu.Unlock()
			return
		}
		f.state, f.host, f.port = foInProgress, host, port
		f.mu.Unlock()
		s.log.Noticef("Failover target %s:%d is synced, failing over.", host, port)
		s.follow(host, port)
		// The server is a replica now (writes get -READONLY): if the target does not
		// answer the PSYNC soon, the held writes are let go to meet that rather than
		// wait for it.
		wait := failoverAnswerWait
		if !end.IsZero() {
			wait = max(wait, time.Until(end))
		}
		select {
		case <-done:
		case <-s.stop:
		case <-time.After(wait):
			s.log.Warningf("Failover target %s:%d has not taken over yet: writes are refused until it does", host, port)
			s.unpauseClients()
		}
		return
	}
}

// failoverAnswerWait is how long a failing-over primary holds its clients' writes for
// the target's answer (at least; TIMEOUT, when longer, counts).
const failoverAnswerWait = 5 * time.Second

// syncedReplica finds an online replica (host:port when host is set) that has
// acknowledged the whole stream.
func (s *Server) syncedReplica(host string, port int) (string, int, bool) {
	off := s.replOffset()
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rp := range r.replicas {
		if host != "" && (rp.host() != host || rp.port != port) {
			continue
		}
		if rp.state == replOnline && rp.ackOff.Load() >= off {
			return rp.host(), rp.port, true
		}
	}
	return "", 0, false
}

// abortFailover ends a failover that did not complete: a server already following
// the target becomes a primary again, and the writes resume.
func (s *Server) abortFailover(why string) {
	f := &s.fo
	f.mu.Lock()
	if f.state == foNone {
		f.mu.Unlock()
		return
	}
	following := f.state == foInProgress
	f.state = foNone
	close(f.done)
	f.mu.Unlock()
	s.log.Noticef("FAILOVER aborted: %s", why)
	if following {
		s.unfollow()
	}
	s.unpauseClients()
}

// failoverDone ends a failover whose target accepted the PSYNC: the server is its
// replica, and the held writes resume (to find a replica).
func (s *Server) failoverDone() {
	f := &s.fo
	f.mu.Lock()
	if f.state != foInProgress {
		f.mu.Unlock()
		return
	}
	f.state = foNone
	close(f.done)
	f.mu.Unlock()
	s.log.Noticef("Failover to %s complete.", s.primaryAddr())
	s.unpauseClients()
}

// primaryAddr is "host:port" of the primary followed.
func (s *Server) primaryAddr() string {
	u := &s.up
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.host + ":" + strconv.Itoa(u.port)
}

// psyncFailover handles "PSYNC <replid> <offset> FAILOVER" on a replica: when replid
// is its own, the sender — its primary, failing over — hands it the primaryship. It
// reports false when it answered an error.
func (s *Server) psyncFailover(c *Client) bool {
	if !strings.EqualFold(string(c.args[3]), "FAILOVER") {
		c.Err(errSyntax)
		return false
	}
	r := &s.repl
	r.mu.Lock()
	mine := r.id == string(c.args[1])
	r.mu.Unlock()
	if !mine {
		c.Err("ERR PSYNC FAILOVER replid must match my replid.")
		return false
	}
	if s.up.following.Load() {
		s.unfollow()
		s.log.Noticef("MASTER MODE enabled (failover request from '%s')", c.getInfo().addr)
	}
	return true
}
