package conf

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shoal-db/shoal/sds"
)

// CommandLine is the file name FileError gives to the command-line overrides of Load.
const CommandLine = "(command line)"

// maxIncludeDepth bounds nested includes (Redis has no bound; a loop would recurse forever).
const maxIncludeDepth = 16

// FileError is a configuration that cannot be loaded. Its text follows Redis's
// "FATAL CONFIG FILE ERROR" report, naming the file:
//
//	*** FATAL CONFIG FILE ERROR ***
//	Reading the configuration file redis.conf, at line 3
//	>>> 'fooo bar'
//	Bad directive or wrong number of arguments
//
// Line is 0 (and the two middle lines absent) for a check made once everything is read.
type FileError struct {
	File   string // as given to Load or Parse, or the include path, or CommandLine
	Line   int    // 1-based
	Text   string // the offending line, trimmed
	Reason string // Redis's reason
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString("*** FATAL CONFIG FILE ERROR ***\n")
	if e.Line > 0 {
		b.WriteString("Reading the configuration file")
		if e.File != "" {
			b.WriteString(" " + e.File)
		}
		fmt.Fprintf(&b, ", at line %d\n>>> '%s'\n", e.Line, e.Text)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Load reads a redis.conf-syntax file (path "" = none) and then applies args, the
// command-line overrides as redis-server takes them: ["--port", "7000", "--save", "",
// "--bind", "127.0.0.1", "::1"] (a directive name after "--", then its arguments up to the
// next --name; "--port 7000" as one argument works too). The overrides are parsed after the
// file, so they win; save lines add up within a load, the first replacing the defaults.
// warnings lists the real Redis directives shoal accepts but does not implement yet, one
// line each. Relative include paths and dir are resolved against the current dir, as in
// Redis (which chdirs on dir); Load itself changes no process state and opens no logfile.
// A bad configuration is a *FileError; an unreadable file is Redis's "Fatal error, can't
// open config file" error.
func Load(path string, args []string) (cfg *Config, warnings []string, err error) {
	l := newLoader()
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, nil, err
		}
		data, err := readFile(path)
		if err != nil {
			return nil, nil, err
		}
		l.cfg.file = abs
		l.reading = []string{abs}
		if err := l.load(data, path); err != nil {
			return nil, nil, err
		}
	}
	if len(args) > 0 {
		if err := l.load(argsText(args), CommandLine); err != nil {
			return nil, nil, err
		}
	}
	return l.finish()
}

// Parse is Load on config text instead of a file, without overrides; filename names the
// text in errors. The result has no File, so it cannot be rewritten.
func Parse(text, filename string) (*Config, []string, error) {
	l := newLoader()
	if err := l.load(text, filename); err != nil {
		return nil, nil, err
	}
	return l.finish()
}

// loader carries a configuration being loaded through a file, its includes and the
// command-line overrides.
type loader struct {
	cfg      *Config
	state    loadState
	warned   map[string]bool // directives already warned about (config ones by canonical name)
	warnings []string
	reading  []string // absolute paths of the files being read, outermost first
}

func newLoader() *loader {
	return &loader{cfg: Default(), warned: make(map[string]bool)}
}

// finish runs the checks Redis makes once everything is read and fills the typed fields.
func (l *loader) finish() (*Config, []string, error) {
	if l.cfg.val("cluster-enabled") == "yes" && l.cfg.val("replicaof") != "" {
		return nil, nil, &FileError{Reason: "replicaof directive not allowed in cluster mode"}
	}
	l.cfg.derive()
	return l.cfg, l.warnings, nil
}

// warn records that directive key, written name, is accepted but not implemented.
func (l *loader) warn(key, name string) {
	if !l.warned[key] {
		l.warned[key] = true
		l.warnings = append(l.warnings, fmt.Sprintf("directive '%s' is accepted but not implemented yet", name))
	}
}

// load parses config text, line by line, like Redis's loadServerConfigFromString.
func (l *loader) load(text, file string) error {
	if i := strings.IndexByte(text, 0); i >= 0 {
		text = text[:i] // Redis reads the text as a C string
	}
	for i, raw := range strings.Split(text, "\n") {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(reason string) error {
			return &FileError{File: file, Line: i + 1, Text: line, Reason: reason}
		}
		argv, ok := sds.SplitArgs(line)
		if !ok {
			return fail("Unbalanced quotes in configuration line")
		}
		if len(argv) == 0 {
			continue
		}
		name := strings.ToLower(argv[0])
		if d := lookup(name); d != nil {
			args := argv[1:]
			switch {
			case d.flags&fMulti == 0 && len(args) != 1:
				return fail("wrong number of arguments")
			case d.flags&fMulti != 0 && len(args) == 1 && args[0] != "":
				args, _ = sds.SplitArgs(args[0]) // "save '3600 1 300 100'", --save "3600 1"
			}
			if err := l.cfg.apply(d, args, &l.state); err != nil {
				return fail(err.Error())
			}
			if d.flags&fImpl == 0 {
				l.warn(d.name, name)
			}
			continue
		}
		if err := l.fileDirective(name, argv); err != nil {
			if fe, ok := err.(*FileError); ok {
				return fe // from an included file
			}
			return fail(err.Error())
		}
	}
	return nil
}

// fileDirective handles a line that names no config directive.
func (l *loader) fileDirective(name string, argv []string) error {
	for _, fd := range fileDirectives[name] {
		if len(argv) < fd.min || fd.max >= 0 && len(argv) > fd.max {
			continue
		}
		switch fd.action {
		case actInclude:
			return l.include(argv[1])
		case actWarn:
			l.warn(name, name)
		case actNoSentinel:
			return fmt.Errorf("sentinel directive while not in sentinel mode")
		case actUser:
			l.cfg.Users = append(l.cfg.Users, slices.Clone(argv[1:]))
		case actRename:
			l.cfg.RenameCommands = append(l.cfg.RenameCommands, [2]string{argv[1], argv[2]})
		}
		return nil
	}
	// A multi-argument directive given as one quoted string ("--user 'alice on'").
	if len(argv) == 2 && fileDirectives[name] != nil {
		if split, ok := sds.SplitArgs(argv[1]); ok && len(split) > 1 {
			return l.fileDirective(name, append([]string{name}, split...))
		}
	}
	return fmt.Errorf("Bad directive or wrong number of arguments")
}

// include reads another file (or every file a glob matches, in order; none is fine) as if
// its lines stood here. Relative paths start from the current dir.
func (l *loader) include(pattern string) error {
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(l.cfg.val("dir"), pattern)
	}
	paths := []string{pattern}
	if strings.ContainsAny(pattern, "*?[") {
		paths, _ = filepath.Glob(pattern) // a bad pattern matches nothing, as glob(3) fails
	}
	for _, p := range paths {
		abs := filepath.Clean(p)
		for _, r := range l.reading {
			if r == abs {
				return fmt.Errorf("Include loop: '%s' is already being read", p)
			}
		}
		if len(l.reading) >= maxIncludeDepth {
			return fmt.Errorf("Includes nested more than %d deep at '%s'", maxIncludeDepth, p)
		}
		data, err := readFile(p)
		if err != nil {
			return err
		}
		l.reading = append(l.reading, abs)
		err = l.load(data, p)
		l.reading = l.reading[:len(l.reading)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

func readFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("Fatal error, can't open config file '%s': %s", path, strerror(err))
	}
	return string(data), nil
}

// argsText turns redis-server's command-line overrides into config text, as Redis 7.0
// does: "--name" starts a line, every other argument is appended quoted. A "--save" with
// no value (followed by another --name, or last) means save "".
func argsText(args []string) string {
	var b strings.Builder
	named := true // the last --name already had a value (or there was none)
	for j, a := range args {
		if named && strings.HasPrefix(a, "--") {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(a[2:] + " ")
			if parts, _ := sds.SplitArgs(a); len(parts) == 1 {
				named = false
				last := j == len(args)-1
				if last || strings.HasPrefix(args[j+1], "--") {
					switch strings.ToLower(a) {
					case "--save":
						b.WriteString(`""`)
						named = !last
					case "--sentinel":
						named = !last
					}
				}
			} else {
				named = true // "--port 6380" in one argument
			}
			continue
		}
		b.WriteString(sds.Repr(a) + " ")
		named = true
	}
	return b.String()
}
