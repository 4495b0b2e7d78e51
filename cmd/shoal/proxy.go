package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/shoal-db/shoal/proxy"
)

func proxyCmd() *cobra.Command {
	var (
		seeds []string
		bind  string
		port  int
	)
	cmd := &cobra.Command{
		Use:   "proxy --cluster host:port,... [--port 6380]",
		Short: "Run a proxy: one endpoint for clients that cannot follow a cluster's redirections",
		Long: `Run a proxy in front of a cluster. Clients connect to it as to a single Redis
server; it sends each request to the primary that owns its keys' slot and
follows MOVED and ASK itself. It learns the slots from the nodes given with --cluster (CLUSTER SLOTS,
read again every second and after each MOVED).

MGET, MSET, DEL, UNLINK, EXISTS and TOUCH across slots are split per slot and
their replies merged; DBSIZE, KEYS, FLUSHALL, FLUSHDB and SCRIPT LOAD go to every
primary. Not yet through the proxy: MULTI/EXEC, WATCH,
(P|S)SUBSCRIBE, MONITOR.`,
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
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
			p, err := proxy.Start(proxy.Config{Addr: net.JoinHostPort(bind, strconv.Itoa(port)), Seeds: seeds})
			if err != nil {
				return err
			}
			defer p.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "proxy on %s for the cluster of %v\n", p.Addr(), seeds)
			<-sigs
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&seeds, "cluster", nil, "data nodes of the cluster, host:port, comma-separated")
	f.StringVar(&bind, "bind", "127.0.0.1", "address to listen on")
	f.IntVar(&port, "port", 6380, "RESP port")
	return cmd
}
