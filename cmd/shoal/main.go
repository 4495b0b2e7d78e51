// Command shoal is the one binary of every shoal role: `shoal server`, a
// Redis-compatible data node (`shoal server [config-file] [--directive value …]`, like
// redis-server), and `shoal sentinel`, a member of the group that owns the cluster's
// topology. The CLI only parses arguments, builds the role and handles signals.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/shoal-db/shoal/node"
	"github.com/shoal-db/shoal/node/conf"
)

func main() {
	// go-redis (the admin commands' and the node's client of the sentinels) logs
	// failed dials on its own; the errors reach the caller anyway, which reports them.
	redis.SetLogger(quiet{})
	if err := rootCmd().Execute(); err != nil {
		os.Exit(1)
	}
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "shoal",
		Short:         "A Redis-compatible, sharded, self-healing in-memory data store",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       node.ShoalVersion + " (redis " + node.Version + " compatible)",
	}
	root.AddCommand(serverCmd(), sentinelCmd(), clusterCmd(), proxyCmd(), labCmd(), pingCmd())
	// Errors are reported by each command (SilenceErrors); those of its flags come
	// before it runs.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		fmt.Fprintf(c.ErrOrStderr(), "%s: %v\n", c.CommandPath(), err)
		return err
	})
	return root
}

func serverCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "server [config-file] [--directive value ...]",
		Short: "Run a data node (a standalone Redis-compatible server by default)",
		Long: `Run a data node. Arguments follow redis-server: an optional redis.conf-syntax
file, then any directive as --name value (several values after one name are
allowed: --save 3600 1 300 100). Later directives win over earlier ones.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
				return cmd.Help()
			}
			return runServer(args, cmd.ErrOrStderr())
		},
	}
}

func runServer(args []string, stderr io.Writer) error {
	if path := os.Getenv("SHOAL_CPUPROFILE"); path != "" {
		stop, err := startCPUProfile(path)
		if err != nil {
			return err
		}
		defer stop()
	}
	path := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		path, args = args[0], args[1:]
	}
	cfg, warnings, err := conf.Load(path, args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return err
	}
	out := io.Writer(os.Stdout)
	if cfg.Logfile != "" {
		f, err := os.OpenFile(cfg.Logfile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "Can't open the log file: %v\n", err)
			return err
		}
		defer f.Close()
		out = f
	}
	log := node.NewLogger(out, node.ParseLevel(cfg.Loglevel))
	if err := os.Chdir(cfg.Dir); err != nil {
		log.Warningf("Can't chdir to '%s': %v", cfg.Dir, err)
		return err
	}
	log.Noticef("shoal %s (redis %s compatible) starting, pid=%d", node.ShoalVersion, node.Version, os.Getpid())
	if path == "" {
		log.Warningf("Warning: no config file specified, using the default config. In order to specify a config file use shoal server /path/to/shoal.conf")
	}
	for _, w := range warnings {
		log.Warningf("%s", w)
	}
	srv, err := node.New(cfg, node.Options{Log: log})
	if err != nil {
		return err
	}
	// Signals are caught before the listeners open: a SIGTERM right after "Ready to
	// accept connections" shuts down cleanly too.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	// The PID file exists before any client is served (as with Redis, whose event
	// loop starts after it is written).
	if cfg.Pidfile != "" {
		if err := os.WriteFile(cfg.Pidfile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
			log.Warningf("Failed to write PID file: %v", err)
		} else {
			defer os.Remove(cfg.Pidfile)
		}
	}
	if err := srv.Start(); err != nil {
		log.Warningf("%v", err)
		return err
	}
	if cfg.MetricsPort > 0 {
		host := "127.0.0.1"
		if len(cfg.Bind) > 0 {
			host = strings.TrimPrefix(cfg.Bind[0], "-")
		}
		addr, stop, err := serveMetrics(net.JoinHostPort(host, strconv.Itoa(cfg.MetricsPort)),
			func() bool { return !srv.Loading() }, srv.SlotCollector(), srv.Collector())
		if err != nil {
			log.Warningf("metrics: %v", err)
			return err
		}
		defer stop()
		log.Noticef("Metrics on http://%s/metrics", addr)
	}
	select {
	case sig := <-sigs:
		if sig == syscall.SIGINT {
			log.Warningf("Received SIGINT scheduling shutdown...")
		} else {
			log.Warningf("Received SIGTERM scheduling shutdown...")
		}
		if err := srv.SaveOnShutdown(); err != nil {
			log.Warningf("Error trying to save the DB: %v", err)
		}
	case <-srv.ShutdownRequested(): // SHUTDOWN saved already when asked to
	}
	log.Warningf("shoal is now ready to exit, bye bye...")
	return srv.Close()
}

// startCPUProfile writes a CPU profile to path until the returned stop is called (set
// SHOAL_CPUPROFILE=file to profile a server run; read it with go tool pprof).
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
