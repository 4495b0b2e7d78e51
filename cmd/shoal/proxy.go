package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoal-db/shoal/proxy"
)

func proxyCmd() *cobra.Command {
	var (
		seeds []string
		bind  string
		port  int
		cfg   proxy.Config
		mport int
	)
	cmd := &cobra.Command{
		Use:   "proxy --cluster host:port,... [--port 6380]",
		Short: "Run a proxy: one endpoint for clients that cannot follow a cluster's redirections",
		Long: `Run a proxy in front of a cluster. Clients connect to it as to a single Redis
server; it sends each request to the primary that owns its keys' slot and
follows MOVED and ASK itself. It learns the slots from the nodes given with
--cluster; with --cluster-secret it then joins the cluster's gossip and follows
each committed topology as it is pushed, else it reads CLUSTER SLOTS again every
second and after each MOVED.

Requests of all clients share a few pipelined connections to each node
(--links). MGET, MSET, DEL, UNLINK, EXISTS and TOUCH across slots are split per
slot and their replies merged; DBSIZE, KEYS, FLUSHALL, FLUSHDB, SCRIPT LOAD and
WAIT go to every primary. MULTI/EXEC (keys of one slot), WATCH, blocking commands
and (P|S)SUBSCRIBE use connections of the client's own; subscriptions follow
failovers and slot moves. Not through the proxy: MONITOR, SYNC/PSYNC.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			defer func() {
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "shoal proxy:", err)
				}
			}()
			if len(seeds) == 0 {
				return fmt.Errorf("--cluster is required")
			}
			if path := os.Getenv("SHOAL_CPUPROFILE"); path != "" {
				stop, err := startCPUProfile(path)
				if err != nil {
					return err
				}
				defer stop()
			}
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
			cfg.Addr, cfg.Seeds = net.JoinHostPort(bind, strconv.Itoa(port)), seeds
			p, err := proxy.Start(cfg)
			if err != nil {
				return err
			}
			defer p.Close()
			if mport > 0 {
				addr, stop, err := serveMetrics(net.JoinHostPort(bind, strconv.Itoa(mport)),
					func() bool { return p.Owner(0) != "" }, nil, p.Collector())
				if err != nil {
					return err
				}
				defer stop()
				fmt.Fprintf(cmd.OutOrStdout(), "metrics on http://%s/metrics\n", addr)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "proxy on %s for the cluster of %v\n", p.Addr(), seeds)
			<-sigs
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&seeds, "cluster", nil, "data nodes of the cluster, host:port, comma-separated")
	f.StringVar(&bind, "bind", "127.0.0.1", "address to listen on")
	f.IntVar(&port, "port", 6380, "RESP port")
	f.IntVar(&mport, "metrics-port", 0, "serve Prometheus metrics, /healthz and /readyz over HTTP on this port (0: off)")
	f.StringVar(&cfg.ReadFrom, "read-from", "primary", "where read-only commands go: primary, replicas (may lag behind) or nearest")
	f.StringVar(&cfg.RequirePass, "requirepass", "", "password clients must give (AUTH) before anything else")
	f.IntVar(&cfg.MaxClients, "maxclients", 10000, "client connections at most")
	f.DurationVar(&cfg.IdleTimeout, "client-timeout", 0, "close a client idle this long (0: never)")
	f.IntVar(&cfg.Links, "links", 2, "shared connections to each node")
	f.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "connecting to a node, and waiting for a reply on a shared connection")
	f.StringVar(&cfg.Secret, "cluster-secret", "", "the cluster secret: follow topology changes by gossip as they are committed (else poll CLUSTER SLOTS)")
	f.StringVar(&cfg.GossipAddr, "gossip-addr", "", "gossip address with --cluster-secret, host:port (default 127.0.0.1, any port)")
	f.StringSliceVar(&cfg.Join, "join", nil, "gossip addresses to join (default: the nodes' cluster buses, from CLUSTER NODES)")
	f.StringVar(&cfg.User, "node-user", "", "ACL user the proxy authenticates as to the nodes")
	f.StringVar(&cfg.Password, "node-password", "", "password the proxy authenticates with to the nodes")
	return cmd
}
