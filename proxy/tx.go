package proxy

import (
	"fmt"
	"strings"

	"github.com/shoal-db/shoal/node/spec"
)

// Transactions, as a cluster allows them: every key of a MULTI … EXEC in one slot.
// The proxy queues the commands itself (answering QUEUED, or the error a node would
// give for an unknown command, a wrong arity, a key in another slot or — asked of a
// node — a command the client's user may not run, which aborts the transaction),
// then sends MULTI, the commands and EXEC in one write to the
// slot's primary and passes EXEC's reply on. WATCH goes to the watched keys' primary
// on the session's own connection, where the transaction then runs; without WATCH a
// transaction redirected by MOVED before it ran is sent again to the new owner.

// txState is a transaction being queued.
type txState struct {
	cmds    [][]byte // the queued requests (copies)
	slot    int      // their keys' slot (-1: no key yet)
	aborted bool     // a queued command was refused: EXEC answers EXECABORT
}

// watchState is the WATCH in force: on the session's own connection to addr.
type watchState struct {
	addr string
	slot int
}

// queue answers a command sent between MULTI and EXEC.
func (s *session) queue(cmd *spec.Command, args [][]byte, raw []byte) {
	s.settle()
	tx := s.tx
	name := strings.ToLower(string(args[0]))
	switch {
	case cmd == nil:
		tx.aborted = true
		s.fail(unknownCommand(args))
		return
	case !cmd.ArityOK(len(args)):
		tx.aborted = true
		s.fail(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
		return
	case kinds[name] == kSub || kinds[name] == kRefused || cmd.Has(spec.NoMulti):
		tx.aborted = true
		s.fail("ERR Command not allowed inside a transaction")
		return
	}
	if e := s.dryRun(args); e != "" { // (a node checks ACL rules before the slots)
		tx.aborted = true
		s.fail(e)
		return
	}
	slot, err := slotOf(cmd, args)
	if err == "" && slot >= 0 && tx.slot >= 0 && slot != tx.slot {
		err = "CROSSSLOT Keys in request don't hash to the same slot"
	}
	if err != "" {
		tx.aborted = true
		s.fail(err)
		return
	}
	if slot >= 0 {
		tx.slot = slot
	}
	tx.cmds = append(tx.cmds, append([]byte(nil), raw...))
	s.w.Simple("QUEUED")
}

// dryRun is the NOPERM a node would answer when queuing args for the session's user,
// or "": for a user of the nodes' (AUTH passed through), a node is asked with ACL
// DRYRUN on the proxy's own connection, as its own user may not run that. When the
// answer cannot be had (no node, or the proxy's user may not ask), the node decides
// at EXEC (EXECABORT then).
func (s *session) dryRun(args [][]byte) string {
	addr := s.p.addrFor(-1)
	if s.cred == nil || addr == "" {
		return ""
	}
	l, err := s.p.links.get(addr, 2, s.lane, nil)
	if err != nil {
		return ""
	}
	c := s.newCall(-1, command(append([][]byte{[]byte("ACL"), []byte("DRYRUN"), []byte(s.user)}, args...)))
	defer s.release(c)
	if !l.send(c) {
		return ""
	}
	s.wt.wait()
	if c.err != nil || len(c.reply) == 0 || c.reply[0] != '$' {
		return "" // +OK, or an error of ACL DRYRUN itself
	}
	switch text := string(c.reply); {
	case strings.Contains(text, "permissions to run the"):
		_, name, _ := strings.Cut(text, "'")
		name, _, _ = strings.Cut(name, "'")
		return "NOPERM this user has no permissions to run the '" + name + "' command"
	case strings.HasSuffix(text, "' key\r\n"):
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case strings.HasSuffix(text, "' channel\r\n"):
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return ""
}

// unknownCommand is Redis's error for a command it does not know.
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ERR unknown command '%s', with args beginning with: ", args[0])
	for _, a := range args[1:] {
		fmt.Fprintf(&b, "'%s' ", a)
	}
	return b.String()
}

// txCommand answers MULTI, EXEC, DISCARD, WATCH and UNWATCH.
func (s *session) txCommand(name string, cmd *spec.Command, args [][]byte) {
	w := &s.w
	if !cmd.ArityOK(len(args)) {
		if s.tx != nil {
			s.tx.aborted = true
		}
		s.fail(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
		return
	}
	switch name {
	case "multi":
		if s.tx != nil {
			s.fail("ERR MULTI calls can not be nested")
			return
		}
		s.tx = &txState{slot: -1}
		w.OK()
	case "discard":
		if s.tx == nil {
			s.fail("ERR DISCARD without MULTI")
			return
		}
		s.tx = nil
		s.unwatch()
		w.OK()
	case "exec":
		if s.tx == nil {
			s.fail("ERR EXEC without MULTI")
			return
		}
		tx := s.tx
		s.tx = nil
		if tx.aborted {
			s.unwatch()
			s.fail("EXECABORT Transaction discarded because of previous errors.")
			return
		}
		w.Raw(s.exec(tx))
		s.unwatch()
	case "watch":
		if s.tx != nil {
			s.fail("ERR WATCH inside MULTI is not allowed")
			return
		}
		s.watch(cmd, args)
	case "unwatch":
		s.unwatch()
		w.OK()
	}
}

// watch sends WATCH on the session's own connection to the keys' primary.
func (s *session) watch(cmd *spec.Command, args [][]byte) {
	slot, err := slotOf(cmd, args)
	if err == "" && s.wch != nil && s.p.addrFor(slot) != s.wch.addr {
		err = "CROSSSLOT Keys in request don't hash to the same slot"
	}
	if err != "" {
		s.fail(err)
		return
	}
	addr := s.p.addrFor(slot)
	if s.wch != nil {
		addr = s.wch.addr
	}
	if addr == "" {
		s.fail("CLUSTERDOWN Hash slot not served")
		return
	}
	reply, e := s.roundTrip(addr, command(args), false)
	if e != nil {
		s.drop(addr)
		s.wch = nil
		s.fail("CLUSTERDOWN The cluster is down")
		return
	}
	if target, ok := redirect(reply, "-MOVED "); ok && s.wch == nil {
		go s.p.refresh()
		if reply, e = s.roundTrip(target, command(args), false); e != nil {
			s.drop(target)
			s.fail("CLUSTERDOWN The cluster is down")
			return
		}
		addr = target
	}
	if len(reply) > 0 && reply[0] == '+' {
		s.wch = &watchState{addr: addr, slot: slot}
	}
	s.w.Raw(reply)
}

// unwatch drops the WATCH in force, if any.
func (s *session) unwatch() {
	if s.wch == nil {
		return
	}
	if _, err := s.roundTrip(s.wch.addr, []byte("*1\r\n$7\r\nUNWATCH\r\n"), false); err != nil {
		s.drop(s.wch.addr)
	}
	s.wch = nil
}

// exec runs a queued transaction and returns EXEC's reply.
func (s *session) exec(tx *txState) []byte {
	raw := []byte("*1\r\n$5\r\nMULTI\r\n")
	for _, c := range tx.cmds {
		raw = append(raw, c...)
	}
	raw = append(raw, "*1\r\n$4\r\nEXEC\r\n"...)
	n := len(tx.cmds) + 2
	addr := s.p.addrFor(tx.slot)
	if s.wch != nil {
		if tx.slot >= 0 && s.p.addrFor(tx.slot) != s.wch.addr {
			return []byte("-CROSSSLOT Keys in request don't hash to the same slot\r\n")
		}
		addr = s.wch.addr
	}
	asking := false
	for try := 0; ; try++ {
		if addr == "" {
			return []byte("-CLUSTERDOWN Hash slot not served\r\n")
		}
		replies, err := s.roundTrips(addr, raw, asking, n)
		if err != nil {
			s.drop(addr)
			if err == errDial && s.wch == nil && try < 2 {
				s.p.refresh()
				addr = s.p.addrFor(tx.slot)
				continue
			}
			if err == errDial {
				return []byte("-CLUSTERDOWN The cluster is down\r\n")
			}
			return []byte("-ERR shoal proxy: the connection to the node was lost; the transaction may or may not have run\r\n")
		}
		if s.wch == nil && try < 5 {
			// A redirected command made EXEC refuse the transaction (nothing ran).
			moved, ask := "", ""
			for _, r := range replies[1 : n-1] {
				if t, ok := redirect(r, "-MOVED "); ok {
					moved = t
				} else if t, ok := redirect(r, "-ASK "); ok {
					ask = t
				}
			}
			if moved != "" {
				go s.p.refresh()
				addr, asking = moved, false
				continue
			}
			if ask != "" {
				addr, asking = ask, true
				continue
			}
		}
		return replies[n-1]
	}
}
