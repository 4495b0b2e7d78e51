package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
)

// pingCmd is `shoal ping [host:port] [--ready]`: a health check that needs nothing but
// the binary (container images hold no shell and no redis-cli). It exits 0 when the
// process at the address answers PING; with --ready, only when it also serves its
// data (a node not loading; a sentinel or proxy answering PONG).
func pingCmd() *cobra.Command {
	var ready bool
	var timeout time.Duration
	var user, pass string
	cmd := &cobra.Command{
		Use:   "ping [host:port] [--ready] [--timeout 2s]",
		Short: "Exit 0 when a node, sentinel or proxy answers (a health check for containers and services)",
		Long: `Send PING to host:port (127.0.0.1:6379 by default). Exit 0 when it is answered:
PONG, or -LOADING from a node still loading its data (alive: a liveness check).
With --ready, exit 0 only on PONG from a process that is not loading (a readiness
check). The password comes from --pass or $REDISCLI_AUTH.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr := "127.0.0.1:6379"
			if len(args) == 1 {
				addr = args[0]
			}
			if pass == "" {
				pass = os.Getenv("REDISCLI_AUTH")
			}
			c := redis.NewClient(&redis.Options{Addr: addr, Username: user, Password: pass, MaxRetries: -1,
				DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, DisableIdentity: true, Protocol: 2})
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			err := pingOnce(ctx, c, ready)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", addr, err)
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "PONG")
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&ready, "ready", false, "succeed only when the process serves its data (not loading)")
	f.DurationVar(&timeout, "timeout", 2*time.Second, "give up after this long")
	f.StringVar(&user, "user", "", "ACL user")
	f.StringVar(&pass, "pass", "", "password (default $REDISCLI_AUTH)")
	return cmd
}

// pingOnce is the check: nil when c answers as wanted.
func pingOnce(ctx context.Context, c *redis.Client, ready bool) error {
	err := c.Ping(ctx).Err()
	if err != nil && !ready && strings.HasPrefix(err.Error(), "LOADING") {
		return nil // alive, still loading
	}
	if err != nil || !ready {
		return err
	}
	// A node answers PING while it loads in some states: INFO says.
	info, err := c.Info(ctx, "persistence").Result()
	if err != nil {
		if strings.HasPrefix(err.Error(), "ERR unknown command") {
			return nil // (a sentinel answers no INFO persistence)
		}
		return err
	}
	if strings.Contains(info, "loading:1") {
		return fmt.Errorf("loading its data")
	}
	return nil
}
