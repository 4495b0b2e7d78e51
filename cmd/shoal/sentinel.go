package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoal-db/shoal/failover"
	"github.com/shoal-db/shoal/sentinelapi"
)

// sentinelCmd is `shoal sentinel`: a member of the sentinel group that owns the
// cluster's topology (Raft), spreads it (gossip) and serves operators (RESP).
func sentinelCmd() *cobra.Command {
	var (
		id, dir, bind, secret, join string
		peers                       []string
		port, raftPort, busPort     int
		bootstrap, verbose          bool
		downAfter, lease            int
		metricsPort                 int
		logfile                     string
	)
	cmd := &cobra.Command{
		Use:   "sentinel [sentinel.conf] --id ID --dir DIR [--port 26379] [--bootstrap | --join host:port | --peers id=host:port,...]",
		Args:  cobra.MaximumNArgs(1),
		Short: "Run a sentinel: the Raft group member that owns the cluster's topology",
		Long: `Run a sentinel. The first sentinel of a cluster starts the group (--bootstrap);
each other one joins it through any running sentinel's RESP port (--join). Or
every sentinel of the group starts with the same --peers list (ID=RESP address
of each member, itself included; their Raft and gossip ports at the default
offsets) and they form the group together. The
Raft port defaults to port+1000 and the gossip (cluster bus) port to port+2000
(both below the usual ephemeral port range);
data nodes meet a sentinel with CLUSTER MEET <ip> <port> <bus-port>. Every member
of a cluster shares --secret.

The sentinels probe every data node; the group's leader replaces a primary a
majority of them find silent for --down-after-milliseconds with its most advanced
replica, and primaries take writes only under a lease from a majority of the
sentinels (--lease-milliseconds). The failover timeline is printed on stdout in
Redis Sentinel's words (+sdown, +odown, +switch-master ...).

A sentinel.conf file (Redis Sentinel's: port, dir, sentinel monitor, sentinel
down-after-milliseconds <master> ..., sentinel myid ...) may be given, plus
directives named as the flags (id, secret, bootstrap yes, join, peers, raft-port,
bus-port, metrics-port ...); flags win over the file. Its sentinel monitor lines
put standalone primary/replica groups under the group's watch.`,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			defer func() {
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "shoal sentinel:", err)
				}
			}()
			var file *sentinelFile
			if len(args) == 1 {
				text, err := os.ReadFile(args[0])
				if err != nil {
					return fmt.Errorf("Fatal error, can't open config file '%s': %v", args[0], err)
				}
				if file, err = parseSentinelConf(string(text), args[0]); err != nil {
					return err
				}
				for _, w := range file.warnings {
					fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
				}
				for _, kv := range file.flags {
					if !cmd.Flags().Changed(kv[0]) {
						if err := cmd.Flags().Set(kv[0], kv[1]); err != nil {
							return fmt.Errorf("%s: %s %s: %v", args[0], kv[0], kv[1], err)
						}
					}
				}
			}
			events := cmd.OutOrStdout()
			if logfile != "" {
				lf, err := os.OpenFile(logfile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
				if err != nil {
					return fmt.Errorf("Can't open the log file: %v", err)
				}
				defer lf.Close()
				events = lf
				cmd.SetOut(lf)
			}
			if id == "" || dir == "" {
				return fmt.Errorf("--id and --dir are required")
			}
			if raftPort == 0 {
				raftPort = port + 1000
			}
			if busPort == 0 {
				busPort = port + 2000
			}
			cfg := failover.SentinelConfig{ID: id, Dir: dir, Secret: secret, Bootstrap: bootstrap,
				Addr:      net.JoinHostPort(bind, strconv.Itoa(port)),
				Raft:      net.JoinHostPort(bind, strconv.Itoa(raftPort)),
				Bus:       net.JoinHostPort(bind, strconv.Itoa(busPort)),
				DownAfter: time.Duration(downAfter) * time.Millisecond,
				Lease:     time.Duration(lease) * time.Millisecond,
				Events:    events,
			}
			var peerBus []string
			if len(peers) > 0 {
				if cfg.Peers, peerBus, err = parsePeers(peers, id); err != nil {
					return err
				}
				cfg.Bootstrap = true
			}
			var logOut io.Writer = io.Discard
			if verbose {
				logOut = cmd.ErrOrStderr()
			}
			cfg.Log = logOut
			sigs := make(chan os.Signal, 1) // caught from before the ports open
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
			s, err := failover.StartSentinel(cfg)
			if err != nil {
				return err
			}
			defer s.Close()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "sentinel %s: RESP %s, Raft %s, bus %s\n", id, s.Addr(), s.RaftAddr(), s.BusAddr())
			if metricsPort > 0 {
				addr, stop, err := serveMetrics(net.JoinHostPort(bind, strconv.Itoa(metricsPort)),
					func() bool { return s.Store().LeaderAddr() != "" }, nil, s.Collector())
				if err != nil {
					return fmt.Errorf("metrics: %w", err)
				}
				defer stop()
				fmt.Fprintf(out, "metrics on http://%s/metrics\n", addr)
			}
			if join != "" {
				bus, err := joinSentinel(join, id, s.RaftAddr())
				if err != nil {
					return fmt.Errorf("joining the sentinel group through %s: %w", join, err)
				}
				if err := s.JoinBus(bus); err != nil {
					return fmt.Errorf("joining the gossip at %s: %w", bus, err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err = s.AwaitVoter(ctx) // (its own configuration lists it: it can vote and lead)
				cancel()
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "joined the sentinel group through %s\n", join)
			}
			if len(peerBus) > 0 {
				go joinPeersBus(s, peerBus) // they may not be up yet
			}
			if file != nil {
				go applySentinelFile(s, file, cmd.ErrOrStderr())
			}
			<-sigs
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&id, "id", "", "the sentinel's ID, stable across restarts")
	f.StringVar(&dir, "dir", "", "directory of the Raft log and snapshots")
	f.StringVar(&bind, "bind", "127.0.0.1", "address to listen on")
	f.IntVar(&port, "port", 26379, "RESP port")
	f.IntVar(&raftPort, "raft-port", 0, "Raft port (default port+1000)")
	f.IntVar(&busPort, "bus-port", 0, "gossip port (default port+2000)")
	f.StringVar(&secret, "secret", "", "the cluster secret shared by every member")
	f.BoolVar(&bootstrap, "bootstrap", false, "start a new sentinel group with this sentinel")
	f.StringVar(&join, "join", "", "RESP address of a running sentinel whose group to join")
	f.StringSliceVar(&peers, "peers", nil, "every member of a group started together, as id=host:port (RESP), comma-separated")
	f.BoolVar(&verbose, "verbose", false, "log Raft and gossip")
	f.IntVar(&downAfter, "down-after-milliseconds", 2000, "a node that leaves probes unanswered this long is down")
	f.IntVar(&lease, "lease-milliseconds", 0, "primaries' write lease (default half of --down-after-milliseconds)")
	f.StringVar(&logfile, "logfile", "", "write the events and messages to this file instead of stdout")
	f.IntVar(&metricsPort, "metrics-port", 0, "serve Prometheus metrics, /healthz and /readyz over HTTP on this port (0: off)")
	return cmd
}

// parsePeers reads --peers (id=host:port RESP addresses): the members' Raft addresses
// (port+1000) and the gossip addresses of the others (port+2000).
func parsePeers(list []string, self string) (map[string]string, []string, error) {
	peers := map[string]string{}
	var bus []string
	for _, p := range list {
		id, addr, ok := strings.Cut(p, "=")
		host, port, err := net.SplitHostPort(addr)
		n, perr := strconv.Atoi(port)
		if !ok || id == "" || err != nil || perr != nil {
			return nil, nil, fmt.Errorf("--peers %q: want id=host:port", p)
		}
		peers[id] = net.JoinHostPort(host, strconv.Itoa(n+1000))
		if id != self {
			bus = append(bus, net.JoinHostPort(host, strconv.Itoa(n+2000)))
		}
	}
	if _, ok := peers[self]; !ok {
		return nil, nil, fmt.Errorf("--peers must list this sentinel (%s) too", self)
	}
	return peers, bus, nil
}

// joinPeersBus joins the gossip of the other sentinels of a group started together,
// retrying every second until one of them answers.
func joinPeersBus(s *failover.Sentinel, bus []string) {
	for {
		for _, addr := range bus {
			if s.JoinBus(addr) == nil {
				return
			}
		}
		time.Sleep(time.Second)
	}
}

// joinSentinel asks the group, through the sentinel at addr, to add this sentinel; it
// returns the leader's gossip address.
func joinSentinel(addr, id, raftAddr string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return sentinelapi.Join(ctx, []string{addr}, id, raftAddr)
}

// applySentinelFile carries out a sentinel.conf's CONFIG SET values on this sentinel
// and its monitor lines on the group (through the leader, once there is one; the
// same group told again by another sentinel's file is no error).
func applySentinelFile(s *failover.Sentinel, f *sentinelFile, errOut io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, kv := range f.config {
		if err := sentinelapi.Do(ctx, s.Addr(), "CONFIG", "SET", kv[0], kv[1]).Err(); err != nil {
			fmt.Fprintf(errOut, "sentinel %s %s: %v\n", kv[0], kv[1], err)
		}
	}
	for _, m := range f.monitors {
		if _, err := sentinelapi.Leader(ctx, []string{s.Addr()}, "MONITOR", m.name, m.ip, m.port, m.quorum); err != nil {
			fmt.Fprintf(errOut, "sentinel monitor %s: %v\n", m.name, err)
			continue
		}
		if len(m.settings) == 0 {
			continue
		}
		args := []any{"SET", m.name}
		for _, kv := range m.settings {
			args = append(args, kv[0], kv[1])
		}
		if _, err := sentinelapi.Leader(ctx, []string{s.Addr()}, args...); err != nil {
			fmt.Fprintf(errOut, "sentinel settings of %s: %v\n", m.name, err)
		}
	}
}
