package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/sds"
)

// sentinel.conf: `shoal sentinel [sentinel.conf]` reads Redis Sentinel's file, so a
// Redis Sentinel deployment moves over with its configuration, plus shoal's own
// directives (named as the flags: id, secret, bootstrap, join, peers, raft-port,
// bus-port, metrics-port, lease-milliseconds, down-after-milliseconds). Flags given
// on the command line win over the file.
//
//	port 26379
//	dir /var/lib/shoal/sentinel
//	sentinel myid 2f1c…                       (the ID, when no id directive or flag)
//	sentinel monitor mymaster 10.0.0.1 6379 2 (a standalone group: SENTINEL MONITOR)
//	sentinel down-after-milliseconds mymaster 5000
//	sentinel auth-pass mymaster s3cret        (… and the other SENTINEL SET options)
//	sentinel announce-ip 10.0.0.9             (SENTINEL CONFIG SET)
//
// What Redis Sentinel writes back into its file (known-replica, known-sentinel,
// current-epoch, config-epoch, leader-epoch) is read and ignored: shoal keeps that
// state in the Raft log. Scripts (notification-script, client-reconfig-script) are not
// run, with a warning.

// sentinelFile is what a sentinel.conf says.
type sentinelFile struct {
	flags    [][2]string // flag name, value: for the flags not given on the command line
	monitors []monitorLine
	config   [][2]string // SENTINEL CONFIG SET name value
	warnings []string
}

// monitorLine is a `sentinel monitor` line and the settings that follow it.
type monitorLine struct {
	name, ip     string
	port, quorum int
	settings     [][2]string // SENTINEL SET option value
}

// flagDirectives are the directives that set the flag of the same name, with how many
// arguments they take (-1: one or more, joined by commas).
var flagDirectives = map[string]int{
	"port": 1, "bind": -1, "dir": 1, "logfile": 1, "id": 1, "secret": 1, "bootstrap": 1, "join": 1,
	"peers": -1, "raft-port": 1, "bus-port": 1, "metrics-port": 1, "lease-milliseconds": 1,
	"down-after-milliseconds": 1,
}

// parseSentinelConf reads sentinel.conf text; filename names it in errors.
func parseSentinelConf(text, filename string) (*sentinelFile, error) {
	f := &sentinelFile{}
	myid := ""
	hasID := false
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		bad := func(reason string) error {
			return &conf.FileError{File: filename, Line: i + 1, Text: line, Reason: reason}
		}
		args, ok := sds.SplitArgs(line)
		if !ok {
			return nil, bad("Unbalanced quotes in configuration line")
		}
		if len(args) == 0 {
			continue
		}
		name := strings.ToLower(args[0])
		if n, ok := flagDirectives[name]; ok {
			if (n > 0 && len(args) != n+1) || len(args) < 2 {
				return nil, bad("Bad directive or wrong number of arguments")
			}
			v := args[1]
			switch name {
			case "bind":
				v = args[1] // the first address
			case "peers":
				v = strings.Join(args[1:], ",")
			case "bootstrap":
				if v = strings.ToLower(v); v != "yes" && v != "no" {
					return nil, bad("argument must be 'yes' or 'no'")
				}
				v = strconv.FormatBool(v == "yes")
			}
			if name == "id" {
				hasID = true
			}
			f.flags = append(f.flags, [2]string{name, v})
			continue
		}
		switch name {
		case "daemonize":
			if len(args) == 2 && strings.EqualFold(args[1], "yes") {
				f.warnings = append(f.warnings, "daemonize yes: shoal sentinel runs in the foreground (run it under a supervisor)")
			}
			continue
		case "protected-mode", "pidfile", "loglevel", "unixsocket", "tcp-keepalive", "timeout", "syslog-enabled",
			"syslog-ident", "supervised", "acllog-max-len", "user", "requirepass", "aclfile":
			if name == "loglevel" && len(args) == 2 {
				f.config = append(f.config, [2]string{"loglevel", args[1]})
			}
			continue
		case "sentinel":
		default:
			return nil, bad("Bad directive or wrong number of arguments")
		}
		if len(args) < 2 {
			return nil, bad("Bad directive or wrong number of arguments")
		}
		sub := strings.ToLower(args[1])
		switch {
		case sub == "monitor" && len(args) == 6:
			port, err1 := strconv.Atoi(args[4])
			quorum, err2 := strconv.Atoi(args[5])
			if err1 != nil || err2 != nil || port <= 0 || port > 65535 || quorum <= 0 {
				return nil, bad("Quorum must be 1 or greater.")
			}
			if net.ParseIP(args[3]) == nil && strings.ContainsAny(args[3], " /") {
				return nil, bad("Invalid IP address or hostname specified")
			}
			for _, m := range f.monitors {
				if m.name == args[2] {
					return nil, bad("Duplicated master name.")
				}
			}
			f.monitors = append(f.monitors, monitorLine{name: args[2], ip: args[3], port: port, quorum: quorum})
		case len(args) == 4 && isSetOption(sub):
			found := false
			for j := range f.monitors {
				if f.monitors[j].name == args[2] {
					f.monitors[j].settings = append(f.monitors[j].settings, [2]string{sub, args[3]})
					found = true
				}
			}
			if !found {
				return nil, bad("No such master with specified name.")
			}
		case sub == "myid" && len(args) == 3:
			myid = args[2]
		case (sub == "announce-ip" || sub == "announce-port" || sub == "resolve-hostnames" ||
			sub == "announce-hostnames" || sub == "sentinel-user" || sub == "sentinel-pass") && len(args) == 3:
			f.config = append(f.config, [2]string{sub, args[2]})
		case sub == "notification-script" || sub == "client-reconfig-script":
			f.warnings = append(f.warnings, fmt.Sprintf("sentinel %s is not supported: the events are on the sentinels' pub/sub channels", sub))
		case sub == "deny-scripts-reconfig" || sub == "known-replica" || sub == "known-slave" ||
			sub == "known-sentinel" || sub == "current-epoch" || sub == "config-epoch" || sub == "leader-epoch" ||
			sub == "rename-command" || sub == "master-reboot-down-after-period":
			// Redis Sentinel's own state and settings shoal has no use for.
		default:
			return nil, bad("Unrecognized sentinel configuration statement.")
		}
	}
	if myid != "" && !hasID {
		f.flags = append(f.flags, [2]string{"id", myid})
	}
	return f, nil
}

// isSetOption reports whether a `sentinel <option> <name> <value>` line is a
// per-master setting (what SENTINEL SET takes).
func isSetOption(opt string) bool {
	switch opt {
	case "down-after-milliseconds", "failover-timeout", "parallel-syncs", "auth-pass", "auth-user":
		return true
	}
	return false
}
