package spec

import (
	"bytes"
	"errors"
)

// ErrKeyNum is returned by Keys when a keynum argument is not a valid count; the node
// answers with the command's own error instead, as Redis's getkeys does.
var ErrKeyNum = errors.New("invalid number of keys")

// Keys appends to out the argument indices of the keys in args (args[0] is the command
// name; for a subcommand args[1] is its name) by evaluating c's key specs, as Redis's
// getKeysFromCommand does; specs of type "unknown" are skipped (the handler knows those
// keys: SORT's BY and GET patterns), except SORT's STORE destination, found as Redis's
// sortGetKeys finds it. Indices are appended in spec order and may repeat.
func (c *Command) Keys(args [][]byte, out []int) ([]int, error) {
	err := c.EachKey(args, func(i int, _ *KeySpec) { out = append(out, i) })
	return out, err
}

// EachKey calls fn with the argument index of every key in args and the key spec that
// found it (ACL checks need the spec's flags), in the order Keys lists them.
func (c *Command) EachKey(args [][]byte, fn func(i int, ks *KeySpec)) error {
	argc := len(args)
	for i := range c.KeySpecs {
		ks := &c.KeySpecs[i]
		var first int
		switch ks.BeginSearch {
		case "index":
			first = ks.Index
			if first >= argc {
				continue
			}
		case "keyword":
			first = -1
			start, end, step := ks.StartFrom, argc, 1
			if start < 0 {
				start, end, step = argc+start, 0, -1
			}
			for j := start; j != end && j >= 1 && j < argc; j += step {
				if bytes.EqualFold(args[j], []byte(ks.Keyword)) {
					first = j + 1
					break
				}
			}
			if first < 0 || first >= argc {
				continue
			}
		default:
			continue
		}
		switch ks.FindKeys {
		case "range":
			last := ks.LastKey
			switch {
			case last >= 0:
				last += first
			case ks.Limit > 1:
				// -1 with a limit: the keys are 1/limit of what remains (XREAD STREAMS).
				last = first + (argc-first)/ks.Limit - 1
			default:
				last = argc + last
			}
			step := max(ks.KeyStep, 1)
			for j := first; j <= last && j < argc; j += step {
				fn(j, ks)
			}
		case "keynum":
			ni := first + ks.KeyNumIdx
			if ni >= argc {
				return ErrKeyNum
			}
			n, ok := parseNonNeg(args[ni])
			if !ok {
				return ErrKeyNum
			}
			fk := first + ks.FirstKey
			step := max(ks.KeyStep, 1)
			if fk+(n-1)*step >= argc {
				return ErrKeyNum
			}
			for j := range n {
				fn(fk+j*step, ks)
			}
		}
	}
	if c.FullName == "sort" && len(c.KeySpecs) > 0 {
		if i := sortStore(args); i > 0 {
			fn(i, &c.KeySpecs[len(c.KeySpecs)-1])
		}
	}
	return nil
}

func parseNonNeg(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// sortStore is the index of SORT's STORE destination in args (0: none): the options
// are walked as Redis's sortGetKeys walks them (LIMIT takes two arguments, BY and GET
// one), the last STORE winning.
func sortStore(args [][]byte) int {
	store := 0
	for i := 2; i < len(args); i++ {
		switch {
		case bytes.EqualFold(args[i], []byte("limit")):
			i += 2
		case bytes.EqualFold(args[i], []byte("get")), bytes.EqualFold(args[i], []byte("by")):
			i++
		case bytes.EqualFold(args[i], []byte("store")) && i+1 < len(args):
			store = i + 1 // (the destination is then read as an option too, as Redis does)
		}
	}
	return store
}
