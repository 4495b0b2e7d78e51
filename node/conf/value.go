package conf

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// loadState is what a file load remembers between lines (nil for CONFIG SET).
type loadState struct {
	saveSeen bool // the first save line replaces the defaults, later ones add to it
}

// apply parses args for d and stores the canonical value in c.vals. The error text is
// Redis's reason, as it follows "CONFIG SET failed ... - " or ends a FATAL CONFIG FILE ERROR.
func (c *Config) apply(d *directive, args []string, ld *loadState) error {
	v, reason := c.parse(d, args, ld)
	if reason != "" {
		return errors.New(reason)
	}
	c.vals[d.idx] = v
	return nil
}

// parse turns args into d's canonical value, or returns a reason.
func (c *Config) parse(d *directive, args []string, ld *loadState) (string, string) {
	cur := c.vals[d.idx]
	one := ""
	if len(args) > 0 {
		one = args[0]
	}
	switch d.kind {
	case kBool:
		switch strings.ToLower(one) {
		case "yes", "no":
			return strings.ToLower(one), ""
		}
		return "", "argument must be 'yes' or 'no'"
	case kNum:
		n, reason := parseNumber(d, one)
		if reason != "" {
			return "", reason
		}
		return formatNumber(d, n), ""
	case kEnum, kFlags:
		return parseEnum(d, args)
	case kString:
		if d.check != nil {
			if reason := d.check(one); reason != "" {
				return "", reason
			}
		}
		return one, ""
	case kDir:
		if len(args) != 1 {
			return "", "wrong number of arguments"
		}
		return resolveDir(cur, one)
	case kSave:
		return parseSave(cur, args, ld)
	case kBind:
		if len(args) > 16 {
			return "", "Too many bind addresses specified."
		}
		if len(args) == 1 && args[0] == "" {
			args = nil
		}
		return strings.Join(args, " "), ""
	case kOutBuf:
		return parseOutBufArgs(cur, args)
	case kOOM:
		return parseOOM(args)
	case kNotify:
		if len(args) != 1 {
			return "", "wrong number of arguments"
		}
		flags, ok := notifyFlags(one)
		if !ok {
			return "", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
		}
		return notifyString(flags), ""
	case kReplicaOf:
		return parseReplicaOf(args)
	case kPercentiles:
		return parsePercentiles(args)
	}
	return "", "unknown directive kind"
}

// parseNumber reads a kNum value the way Redis 7.0 does: memory units first (fMem), then
// "n%" (fPct), then octal (fOctal), then a strict decimal (plain numbers only); the result
// is C's long long, unsigned types wrapping into it, then checked against the bounds.
func parseNumber(d *directive, s string) (int64, string) {
	n, ok := int64(0), false
	if d.flags&fMem != 0 {
		var u uint64
		u, ok = memToUint(s)
		n = int64(u)
	}
	if !ok && d.flags&fPct != 0 && len(s) > 1 && s[len(s)-1] == '%' {
		if p, good := string2ll(s[:len(s)-1]); good && p >= 0 {
			n, ok = -p, true
		}
	}
	if !ok && d.flags&fOctal != 0 {
		n, ok = strtoll(s, 8, true)
	}
	if !ok && d.flags&(fMem|fPct|fOctal) == 0 {
		n, ok = string2ll(s)
	}
	if !ok {
		switch {
		case d.flags&fMem != 0 && d.flags&fPct != 0:
			return 0, "argument must be a memory or percent value"
		case d.flags&fMem != 0:
			return 0, "argument must be a memory value"
		case d.flags&fOctal != 0:
			return 0, "argument couldn't be parsed as an octal number"
		}
		return 0, "argument couldn't be parsed into an integer"
	}
	switch {
	case d.flags&fUnsigned != 0:
		if uint64(n) < uint64(d.min) || uint64(n) > uint64(d.max) {
			if d.flags&fOctal != 0 {
				return 0, fmt.Sprintf("argument must be between %o and %o inclusive", uint64(d.min), uint64(d.max))
			}
			return 0, fmt.Sprintf("argument must be between %d and %d inclusive", uint64(d.min), uint64(d.max))
		}
	case d.flags&fPct != 0 && n < 0:
		if n < d.min {
			return 0, fmt.Sprintf("percentage argument must be less or equal to %d", -d.min)
		}
	case n < d.min || n > d.max:
		return 0, fmt.Sprintf("argument must be between %d and %d inclusive", d.min, d.max)
	}
	if d.post != nil {
		n = d.post(n)
	}
	return n, ""
}

// formatNumber is CONFIG GET's form of a kNum value.
func formatNumber(d *directive, n int64) string {
	switch {
	case d.flags&fPct != 0 && n < 0:
		return strconv.FormatInt(-n, 10) + "%"
	case d.flags&fMem != 0:
		return strconv.FormatUint(uint64(n), 10)
	case d.flags&fOctal != 0:
		return strconv.FormatUint(uint64(n), 8)
	}
	return strconv.FormatInt(n, 10)
}

// clampHz keeps hz within 1..500: Redis accepts any non-negative value and clamps it.
func clampHz(n int64) int64 { return min(max(n, 1), 500) }

var memUnits = map[string]uint64{"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 * 1000,
	"mb": 1024 * 1024, "g": 1000 * 1000 * 1000, "gb": 1024 * 1024 * 1024}

// memToUint is Redis's memtoull: digits and an optional case-insensitive unit (b, k=1000,
// kb=1024, m, mb, g, gb). As in Redis, no digits read as 0 and a too large number wraps.
func memToUint(s string) (uint64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	mul := memUnits[strings.ToLower(s[i:])]
	if mul == 0 || i >= 128 {
		return 0, false
	}
	var n uint64
	if i > 0 {
		var err error
		if n, err = strconv.ParseUint(s[:i], 10, 64); err != nil {
			n = math.MaxUint64 // strtoull saturates
		}
	}
	return n * mul, true
}

// string2ll is Redis's strict integer parser: optional '-', no '+', no spaces, no leading
// zeros, no overflow.
func string2ll(s string) (int64, bool) {
	if s == "0" {
		return 0, true
	}
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// strtoll mirrors C's strtoll(s, &end, base) followed by a check that *end == '\0':
// leading white space and a sign are allowed, "" reads as 0. strict also refuses
// overflow (errno == ERANGE); otherwise the value saturates like strtoll's.
func strtoll(s string, base int, strict bool) (int64, bool) {
	if s == "" {
		return 0, true
	}
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	if t == "" || strings.IndexFunc(t, func(r rune) bool { return r < '0' || r >= '0'+rune(min(base, 10)) }) >= 0 {
		return 0, false
	}
	u, err := strconv.ParseUint(t, base, 64)
	switch {
	case err != nil || !neg && u > math.MaxInt64 || neg && u > 1<<63:
		if strict {
			return 0, false
		}
		if neg {
			return math.MinInt64, true
		}
		return math.MaxInt64, true
	case neg:
		return -int64(u), true
	}
	return int64(u), true
}

// parseEnum accepts one name of d.enum (kEnum), or a set of them (kFlags), ignoring case.
// Names joined by '|' in d.enum are synonyms; the first one is canonical.
func parseEnum(d *directive, args []string) (string, string) {
	bits, valid := 0, len(args) == 1 || d.kind == kFlags && len(args) > 0
	canonical := ""
	for _, a := range args {
		matched := false
		for i, names := range d.enum {
			for _, name := range strings.Split(names, "|") {
				if strings.EqualFold(a, name) {
					matched, canonical = true, strings.Split(names, "|")[0]
					if i > 0 {
						bits |= 1 << (i - 1)
					}
				}
			}
		}
		valid = valid && matched
	}
	switch {
	case !valid:
		return "", "argument(s) must be one of the following: " + strings.ReplaceAll(strings.Join(d.enum, ", "), "|", ", ")
	case d.kind == kEnum:
		return canonical, ""
	case bits&3 == 3: // kFlags is only the shutdown flags: save is bit 0, nosave bit 1
		return "", "shutdown can't have both 'save' and 'nosave' flags"
	case bits == 0:
		return d.enum[0], ""
	}
	var names []string
	for i := 1; i < len(d.enum); i++ {
		if bits&(1<<(i-1)) != 0 {
			names = append(names, d.enum[i])
		}
	}
	return strings.Join(names, " "), ""
}

// resolveDir does what chdir(arg) then getcwd() would, from the directory cur: the
// result is absolute with symlinks resolved, and must be an existing directory.
func resolveDir(cur, arg string) (string, string) {
	p := arg
	if arg != "" && !filepath.IsAbs(arg) && cur != "" {
		p = cur + string(filepath.Separator) + arg
	}
	real, err := filepath.EvalSymlinks(p)
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(real); err == nil && !fi.IsDir() {
			err = syscall.ENOTDIR
		}
	}
	if arg == "" {
		err = syscall.ENOENT
	}
	if err != nil {
		return "", strerror(err)
	}
	if abs, err := filepath.Abs(real); err == nil {
		real = abs
	}
	return real, ""
}

// strerror words an error the way C's strerror does ("No such file or directory").
func strerror(err error) string {
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errno.Error()
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg
}

// parseSave reads save's <seconds> <changes> pairs. A file load adds its save lines up
// (after dropping the defaults at the first one); CONFIG SET replaces the list; a single
// "" argument always empties it.
func parseSave(cur string, args []string, ld *loadState) (string, string) {
	if len(args) == 1 && args[0] == "" {
		args, cur = nil, ""
	}
	if len(args)%2 != 0 {
		return "", "Invalid save parameters"
	}
	var out []string
	for j, a := range args {
		n, ok := strtoll(a, 10, false)
		// (changes is a C int to Redis, which wraps a larger count to a negative one that
		// its own CONFIG REWRITE then cannot load: refused here)
		if !ok || j%2 == 0 && n < 1 || j%2 == 1 && (n < 0 || n > math.MaxInt32) {
			return "", "Invalid save parameters"
		}
		out = append(out, strconv.FormatInt(n, 10))
	}
	if ld != nil {
		if ld.saveSeen && cur != "" {
			out = append([]string{cur}, out...)
		}
		ld.saveSeen = true
	}
	return strings.Join(out, " "), ""
}

var outBufClasses = [3]string{"normal", "slave", "pubsub"}

// parseOutBuf reads a canonical client-output-buffer-limit value.
func parseOutBuf(v string) [3]BufferLimit {
	var l [3]BufferLimit
	f := strings.Fields(v)
	for i := 0; i+3 < len(f); i += 4 {
		for class, name := range outBufClasses {
			if f[i] == name {
				l[class].Hard, _ = strconv.ParseUint(f[i+1], 10, 64)
				l[class].Soft, _ = strconv.ParseUint(f[i+2], 10, 64)
				l[class].SoftSeconds, _ = strconv.ParseInt(f[i+3], 10, 64)
			}
		}
	}
	return l
}

// parseOutBufArgs applies <class> <hard> <soft> <soft-seconds> groups to the current
// limits; classes not named keep theirs. Either every group is valid or none applies.
func parseOutBufArgs(cur string, args []string) (string, string) {
	if len(args)%4 != 0 {
		return "", "Wrong number of arguments in buffer limit configuration."
	}
	l := parseOutBuf(cur)
	for j := 0; j < len(args); j += 4 {
		class := map[string]int{"normal": ClassNormal, "slave": ClassReplica, "replica": ClassReplica,
			"pubsub": ClassPubSub}[strings.ToLower(args[j])]
		if class == 0 && !strings.EqualFold(args[j], "normal") {
			return "", "Invalid client class specified in buffer limit configuration."
		}
		hard, okh := memToUint(args[j+1])
		soft, oks := memToUint(args[j+2])
		secs, okt := strtoll(args[j+3], 10, false)
		secs = int64(int32(secs)) // soft_seconds is read into a C int
		if !okh || !oks || !okt || secs < 0 {
			return "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		l[class] = BufferLimit{hard, soft, secs}
	}
	parts := make([]string, 0, 12)
	for class, name := range outBufClasses {
		parts = append(parts, name, strconv.FormatUint(l[class].Hard, 10),
			strconv.FormatUint(l[class].Soft, 10), strconv.FormatInt(l[class].SoftSeconds, 10))
	}
	return strings.Join(parts, " "), ""
}

// parseOOM reads oom-score-adj-values: three integers in -2000..2000.
func parseOOM(args []string) (string, string) {
	if len(args) != 3 {
		return "", "wrong number of arguments"
	}
	for _, a := range args {
		n, ok := strtoll(a, 10, false)
		if !ok || n < -2000 || n > 2000 {
			return "", "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
		}
	}
	out := make([]string, 3)
	for i, a := range args {
		n, _ := strtoll(a, 10, false)
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, " "), ""
}

// Keyspace notification classes, in the order CONFIG GET lists them.
const (
	notifyAll   = "g$lshzxetd" // what 'A' stands for
	notifyOther = "n"          // classes outside 'A' listed before K, E and m
	notifyLast  = "KEm"
)

// notifyFlags parses notify-keyspace-events into a set of class characters.
func notifyFlags(s string) (map[byte]bool, bool) {
	set := make(map[byte]bool)
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == 'A':
			for j := 0; j < len(notifyAll); j++ {
				set[notifyAll[j]] = true
			}
		case strings.IndexByte(notifyAll+notifyOther+notifyLast, ch) >= 0:
			set[ch] = true
		default:
			return nil, false
		}
	}
	return set, true
}

// notifyString is the normalised form: "A" when every class of it is on, then n, K, E, m.
// (Redis 7.0 drops 'n' when 'A' is shown, losing it; shoal keeps it.)
func notifyString(set map[byte]bool) string {
	var b []byte
	all := true
	for j := 0; j < len(notifyAll); j++ {
		all = all && set[notifyAll[j]]
	}
	if all {
		b = append(b, 'A')
	}
	for _, group := range []string{notifyAll, notifyOther, notifyLast} {
		for j := 0; j < len(group); j++ {
			if set[group[j]] && !(all && group == notifyAll) {
				b = append(b, group[j])
			}
		}
	}
	return string(b)
}

// parseReplicaOf reads replicaof <host> <port>, or "no one" for none.
func parseReplicaOf(args []string) (string, string) {
	if len(args) != 2 {
		return "", "wrong number of arguments"
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return "", ""
	}
	port, ok := strtoll(args[1], 10, false)
	if !ok || port < 0 || port > 65535 {
		return "", "Invalid master port"
	}
	return args[0] + " " + strconv.FormatInt(port, 10), ""
}

// parsePercentiles reads latency-tracking-info-percentiles; a single "" is none.
func parsePercentiles(args []string) (string, string) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	out := make([]string, 0, len(args))
	for _, a := range args {
		p, err := strconv.ParseFloat(a, 64)
		if err != nil || math.IsNaN(p) || strings.ContainsRune(a, '_') {
			return "", "Invalid latency-tracking-info-percentiles parameters"
		}
		if p > 100 || p < 0 {
			return "", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
		}
		out = append(out, formatPercentile(p))
	}
	return strings.Join(out, " "), ""
}

// formatPercentile prints like C's "%f" with trailing zeros (and dot) trimmed.
func formatPercentile(p float64) string {
	s := strconv.FormatFloat(p, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// String validators: each returns Redis's reason for refusing v, or "".

func checkDBFilename(v string) string {
	if strings.ContainsAny(v, "/\\") {
		return "dbfilename can't be a path, just a filename"
	}
	return ""
}

func checkAOFFilename(v string) string {
	switch {
	case v == "":
		return "appendfilename can't be empty"
	case strings.ContainsAny(v, "/\\"):
		return "appendfilename can't be a path, just a filename"
	}
	return ""
}

func checkAOFDirname(v string) string {
	switch {
	case v == "":
		return "appenddirname can't be empty"
	case strings.ContainsAny(v, "/\\"):
		return "appenddirname can't be a path, just a dirname"
	}
	return ""
}

func checkHostname(v string) string {
	if len(v) >= 256 {
		return "Hostnames must be less than 256 characters"
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return "Hostnames may only contain alphanumeric characters, hyphens or dots"
		}
	}
	return ""
}

// checkProcTitle accepts a template of text and {variable}s ({{ is a literal brace) that
// expands to something non-blank. Redis expands with the live values; here {title},
// {server-mode}, {unixsocket} and {config-file} count as possibly empty, so the answer
// never depends on other directives.
func checkProcTitle(v string) string {
	const bad = "template format is invalid or contains unknown variables"
	vars := map[string]bool{"title": false, "server-mode": false, "unixsocket": false,
		"config-file": false, "listen-addr": true, "port": true, "tls-port": true}
	nonBlank := false
	for v != "" {
		i := strings.IndexByte(v, '{')
		if i < 0 {
			nonBlank = nonBlank || strings.Trim(v, " ") != ""
			break
		}
		nonBlank = nonBlank || strings.Trim(v[:i], " ") != ""
		v = v[i+1:]
		switch {
		case v == "":
			return bad
		case v[0] == '{':
			nonBlank, v = true, v[1:]
			continue
		}
		j := strings.IndexByte(v, '}')
		if j < 0 {
			return bad
		}
		filled, known := vars[v[:j]]
		if !known {
			return bad
		}
		nonBlank = nonBlank || filled
		v = v[j+1:]
	}
	if !nonBlank {
		return bad
	}
	return ""
}
