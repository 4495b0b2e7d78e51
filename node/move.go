package node

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/sentinelapi"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/storage/aof"
)

// shoal's own slot migration, the source side: a move (slots.Move, committed by the
// sentinels) of slots from this node's shard to another is run by the shard's primary.
//
//  1. It connects to the target shard's primary and opens an import session
//     (CLUSTER SYNCSLOTS id slots: the target drops whatever it has of those slots and
//     takes this connection's writes to them).
//  2. At an instant T (every stripe held) the moving slots become pending in a
//     fork-less snapshot of their own (bgsave.go's capture: a write to a pending slot
//     serializes the slot first) and every write to them from T on is recorded (the
//     tail: propagated commands whose key is in a moving slot).
//  3. It sends the snapshot, slot by slot as AOF commands (collections in batches of
//     elements), then the tail as it grows, until what is left is small.
//  4. The hand-off: writes on this node pause (CLIENT PAUSE WRITE's barrier), the rest
//     of the tail goes, the target confirms it applied everything, and the sentinels
//     commit the move done — the slots are the target's from that epoch. This node
//     follows the new epoch before the pause ends, so paused writers get MOVED. If the
//     target does not confirm within move-pause-budget the pause ends and the hand-off
//     is tried again later.
//  5. The moved slots' keys are deleted here.
//
// Any failure starts the move again from 1 (the target drops what it got); after
// moveAttempts failures in a row the move is rolled back. A failover of either shard
// leaves the move to the new primaries: the source's new primary starts it again.

// mover is a move in progress on its source: the snapshot of the moving slots and
// the tail of their writes.
type mover struct {
	move  slots.Move
	snap  *moveSnap
	start time.Time
	// Progress: keys in the moving slots at T, keys and bytes sent so far.
	keys, keysSent, bytesSent atomic.Int64

	mu     sync.Mutex
	tail   []byte // RESP commands of the writes to the moving slots not yet sent
	failed string // why the tail cannot go on (a FLUSHALL …): the move starts again
}

// maxMoveTail bounds the writes a move holds while the target catches up.
const maxMoveTail = 256 << 20

// moveAttempts is how many failed attempts in a row roll a move back.
const moveAttempts = 10

// record adds the writes among cmds to the moving slots to the tail. The caller
// holds the commands' stripes.
func (m *mover) record(s *Server, cmds []aof.Cmd) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range cmds {
		if len(c.Args) == 0 || c.DB > 0 {
			continue
		}
		cmd := s.table.lookup(c.Args[0])
		if cmd == nil {
			continue
		}
		if cmd.subs != nil && len(c.Args) > 1 {
			if sub := cmd.subcommand(c.Args[1]); sub != nil {
				cmd = sub
			}
		}
		slot := -1
		cmd.EachKey(c.Args, func(i int, _ *spec.KeySpec) {
			if slot < 0 {
				slot = slots.KeySlot(c.Args[i])
			}
		})
		switch {
		case slot < 0:
			if cmd.Name == "flushall" || cmd.Name == "flushdb" {
				m.failed = "the data set was flushed"
			}
		case m.move.Slots.Contains(slot):
			m.tail = aof.AppendCommand(m.tail, c.Args...)
			if len(m.tail) > maxMoveTail {
				m.failed = "the target fell too far behind"
			}
		}
	}
}

// takeTail returns the tail recorded so far and empties it; err when the move cannot
// go on.
func (m *mover) takeTail(buf []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failed != "" {
		return buf, errors.New(m.failed)
	}
	buf = append(buf, m.tail...)
	m.tail = m.tail[:0]
	return buf, nil
}

// moverSet is the moves this node runs as their source, by ID, and their counts.
type moverSet struct {
	mu      sync.Mutex
	running map[string]chan struct{} // closed to stop the move's goroutine

	handedOff, failed, rolledBack atomic.Int64 // moves handed off, attempts failed, moves rolled back
	mismatches                    atomic.Int64 // attempts failed by the digest check
}

// followMoves starts the moves top gives this node as their source's primary and
// stops those it no longer does (ended, or the shard has another primary now).
func (s *Server) followMoves(top *slots.Topology) {
	ms := &s.movers
	ms.mu.Lock()
	defer ms.mu.Unlock()
	mine := map[string]slots.Move{}
	if sh, ok := top.ShardOf(s.cluster.myID()); ok && sh.Primary == s.cluster.myID() {
		for _, m := range top.Moves() {
			if m.From == sh.ID {
				mine[m.ID] = m
			}
		}
	}
	for id, stop := range ms.running {
		if _, ok := mine[id]; !ok {
			close(stop)
			delete(ms.running, id)
		}
	}
	for id, m := range mine {
		if _, ok := ms.running[id]; ok {
			continue
		}
		if ms.running == nil {
			ms.running = map[string]chan struct{}{}
		}
		stop := make(chan struct{})
		ms.running[id] = stop
		s.goTracked(func() { s.runMove(m, stop) })
	}
}

// runMove runs a move until it ends or stop closes.
func (s *Server) runMove(m slots.Move, stop chan struct{}) {
	defer func() {
		ms := &s.movers
		ms.mu.Lock()
		if ms.running[m.ID] == stop {
			delete(ms.running, m.ID)
		}
		ms.mu.Unlock()
	}()
	for failures := 0; ; {
		done, err := s.moveOnce(m, stop)
		if done || stopped(stop, s.stop) {
			return
		}
		failures++
		s.movers.failed.Add(1)
		s.log.Warningf("Slot move %s (slots %s): %v (attempt %d)", m.ID, m.Slots, err, failures)
		if failures >= moveAttempts {
			if _, err := s.proposeMoveEnd(slots.Change{Op: slots.OpEndMove, Move: m.ID, Phase: slots.MoveRolledBack}, m); err != nil {
				s.log.Warningf("Slot move %s: rolling back: %v", m.ID, err)
			} else {
				s.movers.rolledBack.Add(1)
				s.log.Noticef("Slot move %s rolled back after %d failed attempts", m.ID, failures)
				return
			}
		}
		select {
		case <-stop:
			return
		case <-s.stop:
			return
		case <-time.After(time.Second):
		}
	}
}

// stopped reports whether any of chans is closed.
func stopped(chans ...chan struct{}) bool {
	for _, c := range chans {
		select {
		case <-c:
			return true
		default:
		}
	}
	return false
}

// moveOnce makes one attempt at a move: done when it ended (here or elsewhere).
func (s *Server) moveOnce(m slots.Move, stop chan struct{}) (done bool, err error) {
	top := s.clusterView()
	to, ok := top.ShardByID(m.To)
	var target slots.Node
	if ok && to.Primary != "" {
		target, ok = top.Node(to.Primary)
	}
	if !ok || target.ID == "" {
		return false, fmt.Errorf("the target shard %s has no primary", m.To)
	}
	addr := net.JoinHostPort(target.IP, strconv.Itoa(target.Port))
	cfg := s.config()
	conn, err := gossip.DialTimeout(s.dial(), addr, 5*time.Second)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	link := &moveLink{target: target.ID, replicas: len(to.Replicas), conn: conn, r: bufio.NewReaderSize(conn, 64<<10), w: bufio.NewWriterSize(conn, 256<<10),
		acks: make(chan moveAck, 16)}
	if cfg.Masterauth != "" {
		args := [][]byte{[]byte("AUTH"), []byte(cfg.Masterauth)}
		if cfg.Masteruser != "" {
			args = [][]byte{[]byte("AUTH"), []byte(cfg.Masteruser), []byte(cfg.Masterauth)}
		}
		link.send(aof.AppendCommand(nil, args...))
	}
	link.send(aof.AppendCommand(nil, []byte("CLUSTER"), []byte("SYNCSLOTS"), []byte(m.ID), []byte(m.Slots.String())))
	go link.readReplies()
	if err := link.sync(30 * time.Second); err != nil {
		return false, fmt.Errorf("opening the import on %s: %w", addr, err)
	}

	mv := &mover{move: m, snap: &moveSnap{now: s.eng.Now()}, start: time.Now()}
	db := s.eng.DB(0)
	for _, r := range m.Slots {
		for slot := r.Start; slot <= r.End; slot++ {
			mv.snap.pending[slot] = true
		}
	}
	var all storage.LockSet
	all.AddAll()
	s.eng.Lock(&all)
	if !s.moving.CompareAndSwap(nil, mv) {
		s.eng.Unlock(&all)
		return false, errors.New("another move from this node is running")
	}
	s.eng.SetWriteHook(s.moveWriteHook)
	for _, r := range m.Slots {
		for slot := r.Start; slot <= r.End; slot++ {
			mv.keys.Add(int64(db.SlotSize(slot)))
		}
	}
	s.eng.Unlock(&all)
	defer s.endMoving(mv)
	s.log.Noticef("Slot move %s: sending slots %s (%d keys) to %s", m.ID, m.Slots, mv.keys.Load(), addr)
	s.setMovePhase(m.ID, slots.MoveStreaming)

	// The snapshot, slot by slot (a slot written to meanwhile was captured already),
	// its big keys a part at a time.
	var buf []byte
	flush := func(min int) error {
		if buf = mv.snap.take(buf); len(buf) < min {
			return nil
		}
		mv.bytesSent.Add(int64(len(buf)))
		err := link.send(buf)
		buf = buf[:0]
		return err
	}
	for _, r := range m.Slots {
		for slot := r.Start; slot <= r.End; slot++ {
			s.eng.LockSlot(slot)
			if mv.snap.pending[slot] {
				mv.keysSent.Add(int64(db.SlotSize(slot)))
			}
			mv.snap.capture(s.eng, slot)
			s.eng.UnlockSlot(slot)
			if err := mv.snap.copyDeferred(s.eng, slot, func() error { return flush(256 << 10) }); err != nil {
				return false, err
			}
			if err := flush(256 << 10); err != nil {
				return false, err
			}
			if stopped(stop, s.stop) {
				return false, errors.New("stopped")
			}
		}
	}
	if err := flush(0); err != nil {
		return false, err
	}
	if err := s.checkMoveDigest(m, mv, link); err != nil {
		return false, err
	}
	mv.keysSent.Store(mv.keys.Load())
	s.setMovePhase(m.ID, slots.MoveCatchingUp)
	// The tail, until what is left is small enough to hand off.
	budget := time.Duration(cfg.MovePauseBudget) * time.Millisecond
	for try := 0; ; try++ {
		if stopped(stop, s.stop) {
			return false, errors.New("stopped")
		}
		for {
			if buf, err = mv.takeTail(buf[:0]); err != nil {
				return false, err
			}
			mv.bytesSent.Add(int64(len(buf)))
			if err := link.send(buf); err != nil {
				return false, err
			}
			if err := link.sync(time.Minute); err != nil {
				return false, err
			}
			if mv.tailLen() < 64<<10 {
				break
			}
		}
		if try == 0 {
			s.setMovePhase(m.ID, slots.MoveHandingOff)
		}
		// A target replica must hold the data at the hand-off, unless none does in ten
		// tries (a replica down): then the target's primary alone, as Redis would.
		if try == 10 && link.replicas > 0 {
			s.log.Warningf("Slot move %s: no replica of the target acknowledged the data in 10 hand-off tries; handing off without", m.ID)
		}
		done, err := s.handOff(m, mv, link, budget, link.replicas > 0 && try < 10)
		if done || err != nil {
			return done, err
		}
		if try%10 == 9 {
			s.log.Warningf("Slot move %s: the target did not catch up within move-pause-budget (%v) in %d tries", m.ID, budget, try+1)
		}
		time.Sleep(time.Duration(10*(try%10+1)) * time.Millisecond)
	}
}

// moveWriteHook is the engine's write hook while a move runs: a key of a moving slot
// about to change is copied first if the snapshot deferred it (move_snap.go).
func (s *Server) moveWriteHook(db, slot int, key []byte) {
	if m := s.moving.Load(); m != nil && db == 0 && m.move.Slots.Contains(slot) {
		m.snap.completeKey(s.eng, slot, key)
	}
}

// endMoving ends mv's snapshot and tail (if still the running move's) and removes the
// write hook; idempotent.
func (s *Server) endMoving(mv *mover) {
	if s.moving.Load() != mv {
		return
	}
	var all storage.LockSet
	all.AddAll()
	s.eng.Lock(&all)
	if s.moving.CompareAndSwap(mv, nil) {
		s.eng.SetWriteHook(nil)
	}
	s.eng.Unlock(&all)
}

// checkMoveDigest compares, once the snapshot is sent and before any write after T is,
// each moving slot's digest on the target with the snapshot's: a mismatch fails the
// attempt. Keys expiring within a minute are left out on both ends (the target may
// expire them meanwhile).
func (s *Server) checkMoveDigest(m slots.Move, mv *mover, link *moveLink) error {
	cutoff := time.Now().UnixMilli() + 60_000
	if err := link.send(aof.AppendCommand(nil, []byte("CLUSTER"), []byte("SYNCSLOTS"), []byte(m.ID), []byte("DIGEST"),
		strconv.AppendInt(nil, cutoff, 10))); err != nil {
		return err
	}
	r, err := link.syncReplies(10 * time.Minute)
	if err != nil {
		return err
	}
	got := map[string]string{}
	for _, f := range strings.Fields(strings.TrimPrefix(r.lastDigest, "shoal-move-digest")) {
		slot, d, _ := strings.Cut(f, ":")
		got[slot] = d
	}
	for _, rg := range m.Slots {
		for slot := rg.Start; slot <= rg.End; slot++ {
			s.eng.LockSlot(slot)
			want := mv.snap.slotDigest(slot, cutoff)
			s.eng.UnlockSlot(slot)
			w := ""
			if want != (storage.Digest{}) {
				w = want.String()
			}
			if g := got[strconv.Itoa(slot)]; g != w {
				s.movers.mismatches.Add(1)
				return fmt.Errorf("slot %d differs on the target after the snapshot (digest %s, want %s)", slot, g, w)
			}
		}
	}
	return nil
}

// tailLen is the size of the tail not yet sent.
func (m *mover) tailLen() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tail)
}

// handOff pauses writes, sends the rest of the tail and, if the target confirms
// within budget (withReplica: and a replica of it holds it all), commits the move done
// and follows the new epoch before writes go on. done is false (and err nil) when the
// target was too slow: the caller tries again.
func (s *Server) handOff(m slots.Move, mv *mover, link *moveLink, budget time.Duration, withReplica bool) (done bool, err error) {
	start := time.Now()
	s.pauseSlots(start.Add(time.Minute), false, m.Slots, true)
	defer s.unpauseClients()
	buf, err := mv.takeTail(nil)
	if err != nil {
		return false, err
	}
	if err := link.send(buf); err != nil {
		return false, err
	}
	// A target with replicas must have one hold everything before the hand-off, so a
	// failover of the target right after it loses nothing the source had acknowledged.
	left := budget - time.Since(start)
	if withReplica {
		ms := strconv.FormatInt(max(left.Milliseconds(), 1), 10)
		if err := link.send(aof.AppendCommand(nil, []byte("WAIT"), []byte("1"), []byte(ms))); err != nil {
			return false, err
		}
	}
	r, err := link.syncReplies(left)
	if errors.Is(err, errMoveSlow) || err == nil && withReplica && r.lastInt < 1 {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// Everything written to the slots is on the target: commit. The outcome must be
	// known, and followed here, before writes go on (a commit that happened unseen
	// would lose them).
	handed, err := s.proposeMoveEnd(slots.Change{Op: slots.OpEndMove, Move: m.ID, Phase: slots.MoveDone,
		Primary: s.cluster.myID(), NodeID: link.target}, m)
	if !handed {
		return false, err
	}
	s.endMoving(mv)
	s.movers.handedOff.Add(1)
	s.log.Noticef("Slot move %s: slots %s handed off after %v (writes paused %v)", m.ID, m.Slots,
		time.Since(mv.start).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	s.goTracked(func() { s.dropMovedSlots(m.Slots, nil) })
	return true, nil
}

// setMovePhase records where a move stands in the sentinels' topology (best effort:
// the phase informs operators; the move goes on whatever it says).
func (s *Server) setMovePhase(id, phase string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := sentinelapi.Propose(s.sentinelCtx(ctx), s.sentinels(), slots.Change{Op: slots.OpMovePhase, Move: id, Phase: phase}); err != nil {
		s.log.Verbosef("Slot move %s: recording phase %s: %v", id, phase, err)
	}
}

// proposeMoveEnd commits ch, the end of move m, and returns, once this node follows
// the topology that says so, whether the slots are the target's now. An uncertain
// outcome is asked again with the same request (the sentinels apply it once) until
// a sentinel answers; on a refusal the topology says what became of the move (another
// proposal may have ended it).
func (s *Server) proposeMoveEnd(ch slots.Change, m slots.Move) (handed bool, err error) {
	var req [12]byte
	rand.Read(req[:])
	ch.Req = hex.EncodeToString(req[:])
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		epoch, err := sentinelapi.Propose(s.sentinelCtx(ctx), s.sentinels(), ch)
		cancel()
		if err == nil || sentinelapi.IsRefusal(err) {
			top := s.followSentinels(epoch)
			if sh, ok := top.Owner(m.Slots[0].Start); ok && sh.ID == m.To {
				return true, nil
			}
			if err == nil && ch.Phase == slots.MoveRolledBack {
				return false, nil
			}
			if err == nil {
				err = errors.New("the slots did not change hands")
			}
			return false, errReply(err)
		}
		select {
		case <-s.stop:
			return false, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// followSentinels waits until this node follows the sentinels' topology at epoch or
// later (0: their current one), fetching it from them, and returns it. It keeps
// asking while they cannot be reached (until the server stops).
func (s *Server) followSentinels(epoch uint64) *slots.Topology {
	for {
		if epoch > 0 {
			if top := s.cluster.top.Load(); top != nil && top.Epoch() >= epoch {
				return top
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		top, err := sentinelapi.Topology(s.sentinelCtx(ctx), s.sentinels())
		cancel()
		if err == nil {
			s.SetTopology(top)
			if top.Epoch() >= epoch {
				return s.clusterView()
			}
		}
		select {
		case <-s.stop:
			return s.clusterView()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// dropMovedSlots deletes this node's keys of slots it no longer owns after a move,
// a slot at a time (each deletion propagated, so replicas and the AOF follow). When
// still is not nil it is asked, with the slot's stripe held, before each batch: a
// slot it says no to keeps its keys (a newer topology gave it to this shard).
func (s *Server) dropMovedSlots(rs slots.Ranges, still func(slot int) bool) {
	db := s.eng.DB(0).ForWrite()
	for _, r := range rs {
		for slot := r.Start; slot <= r.End; slot++ {
			for cur, more := storage.Cursor(slot), true; more; {
				s.eng.LockSlot(slot)
				if more = still == nil || still(slot); more {
					cur, more = s.dropSlotKeys(db, cur, 1000)
				}
				s.eng.UnlockSlot(slot)
			}
		}
	}
}

// moveLink is the source's connection to the target: commands written, replies read
// by readReplies; sync waits until the target answered everything sent.
type moveLink struct {
	target   string // the target primary's node ID
	replicas int    // its replicas, as the topology lists them
	conn     net.Conn
	r        *bufio.Reader
	w        *bufio.Writer
	acks     chan moveAck // sync tokens echoed back; closed with the first error
	err      error        // set before acks closes
	seq      int
}

var errMoveSlow = errors.New("the target did not answer in time")

// moveAck is a sync token the target echoed, with the last integer reply and the
// last digest reply before it (what a WAIT or a DIGEST sent just before answered).
type moveAck struct {
	token string
	moveReplies
}

// moveReplies are the replies readMoveReply keeps.
type moveReplies struct {
	lastInt    int64
	lastDigest string
}

// send writes buf (whole commands) to the target.
func (l *moveLink) send(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	l.conn.SetWriteDeadline(time.Now().Add(time.Minute))
	if _, err := l.w.Write(buf); err != nil {
		return err
	}
	return nil
}

// sync flushes what was sent and an ECHO of a fresh token, and waits up to d for the
// token: the target has applied everything before it.
func (l *moveLink) sync(d time.Duration) error {
	_, err := l.syncReplies(d)
	return err
}

// syncReplies is sync, returning the last integer and digest replies before the
// token.
func (l *moveLink) syncReplies(d time.Duration) (moveReplies, error) {
	l.seq++
	token := "shoal-move-sync-" + strconv.Itoa(l.seq)
	if err := l.send(aof.AppendCommand(nil, []byte("ECHO"), []byte(token))); err != nil {
		return moveReplies{}, err
	}
	if err := l.w.Flush(); err != nil {
		return moveReplies{}, err
	}
	timer := time.NewTimer(max(d, time.Millisecond))
	defer timer.Stop()
	for {
		select {
		case got, ok := <-l.acks:
			if !ok {
				return moveReplies{}, l.err
			}
			if got.token == token {
				return got.moveReplies, nil
			}
		case <-timer.C:
			return moveReplies{}, errMoveSlow
		}
	}
}

// readReplies reads the target's replies: the first error reply (or a failed read)
// ends the link; echoed sync tokens go to acks.
func (l *moveLink) readReplies() {
	var last moveReplies
	for {
		tok, err := readMoveReply(l.r, 0, &last)
		if err != nil {
			l.err = err
			close(l.acks)
			return
		}
		if tok != "" {
			l.acks <- moveAck{tok, last}
		}
	}
}

// readMoveReply reads one RESP2 reply: an error reply is returned as an error; a bulk
// string holding a sync token is returned; a top-level integer, or a digest reply, is
// kept in last; anything else is skipped.
func readMoveReply(r *bufio.Reader, depth int, last *moveReplies) (string, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 || depth > 8 {
		return "", errors.New("the target's reply is malformed")
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '-':
		return "", fmt.Errorf("the target answered: %s", body)
	case ':':
		if depth == 0 {
			last.lastInt, _ = strconv.ParseInt(body, 10, 64)
		}
		return "", nil
	case '+':
		return "", nil
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > 4<<20 { // (the target answers small replies: tokens, digests, IDs)
			return "", errors.New("the target's reply is malformed")
		}
		if n < 0 {
			return "", nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		switch s := string(b[:n]); {
		case strings.HasPrefix(s, "shoal-move-sync-"):
			return s, nil
		case strings.HasPrefix(s, "shoal-move-digest") && depth == 0:
			last.lastDigest = s
		}
		return "", nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n > 1<<20 {
			return "", errors.New("the target's reply is malformed")
		}
		for range max(n, 0) {
			if _, err := readMoveReply(r, depth+1, last); err != nil {
				return "", err
			}
		}
		return "", nil
	}
	return "", errors.New("the target's reply is malformed")
}
