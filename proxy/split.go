package proxy

import (
	"bufio"
	"bytes"
	"strconv"

	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/slots"
)

// Multi-key commands whose keys are in different slots are split into one request
// per slot and their replies merged, as the client would have them from one server:
// MGET's values in the client's order, MSET's OK, the counts of DEL, UNLINK, EXISTS
// and TOUCH summed. The parts are not one atomic operation (no cluster can make
// them one); the first error a part gets is the reply. Other multi-key commands
// across slots get CROSSSLOT, as from a cluster node.

// splits maps the commands split across slots to how their arguments come: keys
// alone (1) or key-value pairs (2).
var splits = map[string]int{"mget": 1, "del": 1, "unlink": 1, "exists": 1, "touch": 1, "mset": 2}

// split answers a command of splits whose keys span slots.
func (s *session) split(name string, args [][]byte) {
	step := splits[name]
	if (len(args)-1)%step != 0 || len(args) < 2 {
		s.fail("ERR wrong number of arguments for '" + name + "' command")
		return
	}
	// The keys' positions by slot, slots in the order they first appear.
	var order []int
	bySlot := map[int][]int{}
	for i := 1; i < len(args); i += step {
		sl := slots.KeySlot(args[i])
		if _, ok := bySlot[sl]; !ok {
			order = append(order, sl)
		}
		bySlot[sl] = append(bySlot[sl], i)
	}
	parts := make([]part, len(order))
	for j, sl := range order {
		cmd := [][]byte{args[0]}
		for _, i := range bySlot[sl] {
			cmd = append(cmd, args[i:i+step]...)
		}
		parts[j] = part{slot: sl, raw: command(cmd)}
	}
	values := make([][]byte, len(args)) // MGET: the value of the key at each position
	var sum int64
	for j, reply := range s.gather(parts) {
		sl := order[j]
		if len(reply) == 0 || reply[0] == '-' {
			s.w.Raw(reply)
			return
		}
		switch name {
		case "mset":
		case "mget":
			elems, ok := elements(reply)
			if !ok || len(elems) != len(bySlot[sl]) {
				s.fail("ERR unexpected reply from a node to MGET")
				return
			}
			for j, i := range bySlot[sl] {
				values[i] = elems[j]
			}
		default:
			n, err := strconv.ParseInt(string(bytes.TrimRight(reply[1:], "\r\n")), 10, 64)
			if reply[0] != ':' || err != nil {
				s.fail("ERR unexpected reply from a node to " + name)
				return
			}
			sum += n
		}
	}
	switch name {
	case "mset":
		s.w.OK()
	case "mget":
		s.w.Array(len(args) - 1)
		for _, v := range values[1:] {
			s.w.Raw(v)
		}
	default:
		s.w.Int(sum)
	}
}

// command encodes a request as a RESP array of bulk strings.
func command(args [][]byte) []byte {
	var w resp.Writer
	w.Array(len(args))
	for _, a := range args {
		w.Bulk(a)
	}
	return w.B
}

// elements splits an array reply into its elements' bytes.
func elements(reply []byte) ([][]byte, bool) {
	br := bufio.NewReader(bytes.NewReader(reply))
	line, err := br.ReadSlice('\n')
	if err != nil || len(line) < 4 || (line[0] != '*' && line[0] != '>') {
		return nil, false
	}
	n, err := strconv.Atoi(string(line[1 : len(line)-2]))
	if err != nil || n < 0 {
		return nil, false
	}
	out := make([][]byte, n)
	for i := range n {
		if out[i], err = readReply(br, nil); err != nil {
			return nil, false
		}
	}
	return out, true
}
