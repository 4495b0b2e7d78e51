package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/shoal-db/shoal/admin"
)

// labConfig is a lab's shape and where it lives.
type labConfig struct {
	shards, replicas, sentinels int
	base                        int // data nodes on base…, sentinels from base+100, the proxy on base+200
	dir, secret                 string
	noProxy                     bool
}

// Ports of a lab, from its base port: data nodes base+i (gossip on port+10000, their
// default), sentinels base+100+i (Raft and gossip at their default offsets +1000 and
// +2000), the proxy base+200 (its gossip base+201); metrics: nodes base+300+i,
// sentinels base+400+i, the proxy base+500.
func (c labConfig) nodePort(i int) int     { return c.base + i }
func (c labConfig) sentinelPort(i int) int { return c.base + 100 + i }
func (c labConfig) proxyPort() int         { return c.base + 200 }

func labCmd() *cobra.Command {
	var cfg labConfig
	cmd := &cobra.Command{
		Use:   "lab [--shards 3 --replicas 1 --sentinels 3 --base-port 7000 --dir ./lab]",
		Short: "Run a whole cluster on this machine: sentinels, shards of primaries and replicas, a proxy",
		Long: `Run a cluster lab as local processes on 127.0.0.1, its data under --dir: the
sentinels, --shards shards of a primary and --replicas replicas each, and a proxy.
Data nodes listen on base-port, base-port+1 …, sentinels from base-port+100, the
proxy on base-port+200; metrics on base-port+300 … (nodes), +400 … (sentinels),
+500 (proxy). It prints who is where and how to connect; Ctrl-C stops everything.
Started again on the same --dir, it resumes the same cluster with its data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			defer func() {
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "shoal lab:", err)
				}
			}()
			return runLab(cfg, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.shards, "shards", 3, "shards (each a primary and its replicas)")
	f.IntVar(&cfg.replicas, "replicas", 1, "replicas of each primary")
	f.IntVar(&cfg.sentinels, "sentinels", 3, "sentinels (1, 3 or 5)")
	f.IntVar(&cfg.base, "base-port", 7000, "first data node's port (the others follow)")
	f.StringVar(&cfg.dir, "dir", "./lab", "where the processes keep their data and logs")
	f.StringVar(&cfg.secret, "secret", "lab", "the cluster secret")
	f.BoolVar(&cfg.noProxy, "no-proxy", false, "run no proxy")
	cmd.AddCommand(labKillCmd(), labPauseCmd())
	return cmd
}

// labProc is a process of the lab.
type labProc struct {
	role, name, addr, metrics string
	port, metricsPort         int
	args                      []string // as started (to start it again)
	cmd                       *exec.Cmd
	done                      chan struct{} // closed when it has exited
}

func runLab(cfg labConfig, out io.Writer) error {
	if cfg.shards < 1 || cfg.replicas < 0 || cfg.sentinels < 1 || cfg.sentinels%2 == 0 || cfg.base < 1 || cfg.base+10000+cfg.shards*(1+cfg.replicas) > 65535 {
		return fmt.Errorf("want --shards ≥ 1, --replicas ≥ 0, an odd --sentinels and a --base-port leaving room for the ports")
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var procs []*labProc
	defer func() { stopLab(procs) }()
	exits := make(chan *labProc, 256)
	start := func(role, name string, port, metrics int, args ...string) (*labProc, error) {
		dir := filepath.Join(cfg.dir, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		log, err := os.OpenFile(filepath.Join(dir, role+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		defer log.Close()
		c := exec.Command(exe, append(args, "--metrics-port", strconv.Itoa(metrics))...)
		c.Dir, c.Stdout, c.Stderr = dir, log, log
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // (Ctrl-C reaches the lab, which stops them in order)
		if err := c.Start(); err != nil {
			return nil, err
		}
		p := &labProc{role: role, name: name, addr: "127.0.0.1:" + strconv.Itoa(port),
			metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics), port: port, metricsPort: metrics,
			args: args, cmd: c, done: make(chan struct{})}
		go func() {
			c.Wait()
			close(p.done)
			select {
			case exits <- p:
			default:
			}
		}()
		for i, q := range procs {
			if q.name == name { // started again
				procs[i] = p
				return p, nil
			}
		}
		procs = append(procs, p)
		return p, nil
	}
	var peers, sentinels []string
	for i := range cfg.sentinels {
		peers = append(peers, fmt.Sprintf("s%d=127.0.0.1:%d", i+1, cfg.sentinelPort(i)))
		sentinels = append(sentinels, fmt.Sprintf("127.0.0.1:%d", cfg.sentinelPort(i)))
	}
	for i := range cfg.sentinels {
		port := cfg.sentinelPort(i)
		if _, err := start("sentinel", fmt.Sprintf("sentinel-%d", port), port, cfg.base+400+i, "sentinel",
			"--id", fmt.Sprintf("s%d", i+1), "--dir", ".", "--port", strconv.Itoa(port),
			"--peers", strings.Join(peers, ","), "--secret", cfg.secret); err != nil {
			return err
		}
	}
	var nodes []string
	for i := range cfg.shards * (1 + cfg.replicas) {
		port := cfg.nodePort(i)
		if _, err := start("node", fmt.Sprintf("node-%d", port), port, cfg.base+300+i, "server",
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", ".", "--cluster-enabled", "yes",
			"--cluster-secret", cfg.secret, "--appendonly", "yes", "--repl-diskless-sync-delay", "0"); err != nil {
			return err
		}
		nodes = append(nodes, fmt.Sprintf("127.0.0.1:%d", port))
	}
	for _, p := range procs {
		if err := waitPing(p, 30*time.Second, sigs); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "%d sentinels and %d data nodes running; ", cfg.sentinels, len(nodes))
	created := filepath.Join(cfg.dir, "created") // written once the cluster is made
	if _, err := os.Stat(created); err == nil {
		fmt.Fprintln(out, "the cluster under "+cfg.dir+" resumes")
		if !clusterOK(nodes[0], 60*time.Second) {
			return fmt.Errorf("the cluster under %s did not come back (cluster_state is not ok)", cfg.dir)
		}
	} else {
		fmt.Fprintln(out, "creating the cluster")
		a := admin.New(sentinels, io.Discard, nil)
		err := a.Create(nodes, cfg.replicas)
		a.Close()
		if err != nil {
			return fmt.Errorf("creating the cluster (start again with an empty --dir): %w", err)
		}
		if err := os.WriteFile(created, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644); err != nil {
			return err
		}
	}
	if err := replicasInSync(nodes, 60*time.Second); err != nil {
		return err
	}
	if !cfg.noProxy {
		port := cfg.proxyPort()
		p, err := start("proxy", fmt.Sprintf("proxy-%d", port), port, cfg.base+500, "proxy",
			"--port", strconv.Itoa(port), "--cluster", strings.Join(nodes, ","), "--cluster-secret", cfg.secret,
			"--gossip-addr", fmt.Sprintf("127.0.0.1:%d", port+1))
		if err != nil {
			return err
		}
		if err := waitPing(p, 30*time.Second, sigs); err != nil {
			return err
		}
	}
	printLab(out, cfg, procs, nodes[0])
	stopWatch := watchSentinels(sentinels, out)
	defer stopWatch()
	// A process that exits (a crash, or `shoal lab kill`) is started again after a
	// moment: long enough for the sentinels to fail its shard over, so it comes back
	// as a replica.
	for {
		select {
		case <-sigs:
			fmt.Fprintln(out, "stopping the lab")
			return nil
		case p := <-exits:
			fmt.Fprintf(out, "%s %s exited (%v); starting it again in %v\n", p.role, p.addr, p.cmd.ProcessState, labRestartDelay)
			select {
			case <-sigs:
				fmt.Fprintln(out, "stopping the lab")
				return nil
			case <-time.After(labRestartDelay):
			}
			if _, err := start(p.role, p.name, p.port, p.metricsPort, p.args...); err != nil {
				return err
			}
		}
	}
}

// watchSentinels prints, until stopped, what the sentinels announce of failovers
// (+switch-master) and of nodes going down and coming back (+sdown, -sdown, +odown),
// each event once though several sentinels announce it.
func watchSentinels(addrs []string, out io.Writer) (stop func()) {
	var mu sync.Mutex
	seen := map[string]time.Time{}
	var closers []func() error
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, Protocol: 2})
		ps := c.PSubscribe(context.Background(), "+switch-master", "+sdown", "-sdown", "+odown")
		closers = append(closers, ps.Close, c.Close)
		go func() {
			for m := range ps.Channel() { // (closed by stop)
				f := strings.Fields(m.Payload)
				if len(f) == 0 || f[0] == "sentinel" {
					continue
				}
				line := m.Channel + " " + m.Payload
				mu.Lock()
				dup := time.Since(seen[line]) < 10*time.Second
				seen[line] = time.Now()
				mu.Unlock()
				if dup {
					continue
				}
				switch {
				case m.Channel == "+switch-master" && len(f) == 5:
					fmt.Fprintf(out, "%s failover: %s:%s is the new primary of the shard of %s:%s\n",
						time.Now().Format("15:04:05"), f[3], f[4], f[1], f[2])
				case len(f) >= 4: // <master|slave> <name> <ip> <port> …
					what := map[string]string{"+sdown": "down (to one sentinel)", "+odown": "down (the sentinels agree)", "-sdown": "answers again"}[m.Channel]
					role := map[string]string{"master": "primary", "slave": "replica"}[f[0]]
					fmt.Fprintf(out, "%s %s %s:%s %s\n", time.Now().Format("15:04:05"), role, f[2], f[3], what)
				}
			}
		}()
	}
	return func() {
		for _, f := range closers {
			f()
		}
	}
}

// labRestartDelay is how long the lab waits before starting an exited process again.
const labRestartDelay = 5 * time.Second

// labKillCmd is `shoal lab kill <port>`: a failure drill.
func labKillCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "kill <port>",
		Short: "Kill a process of a running lab (SIGKILL); the lab starts it again 5 s later",
		Long: `Kill the lab's process listening on 127.0.0.1:<port> with SIGKILL, as a crash.
Kill a primary to watch the sentinels promote its replica (redis-cli -p <sentinel
port> SENTINEL MASTERS, or the lab's output) and the old primary come back as a
replica when the lab starts it again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			defer func() {
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "shoal lab kill:", err)
				}
			}()
			pid, err := labPID(args[0])
			if err != nil {
				return err
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "killed the process on port %s (pid %d)\n", args[0], pid)
			return nil
		},
	}
}

// labPauseCmd is `shoal lab pause <port> [--for 15s]`: the partition drill.
func labPauseCmd() *cobra.Command {
	var d time.Duration
	cmd := &cobra.Command{
		Use:   "pause <port> [--for 15s]",
		Short: "Cut a process of a running lab off from everyone for a while (SIGSTOP, then SIGCONT)",
		Long: `Stop the lab's process listening on 127.0.0.1:<port> (SIGSTOP) for --for, then let
it go on (SIGCONT): to the others it is cut off as by a network partition, and it
comes back with the view it had. Pause a primary for longer than the sentinels'
down-after (2 s) to watch its replica promoted while it is away, and the old
primary, back, find it lost its lease and its shard and rejoin as a replica.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			defer func() {
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "shoal lab pause:", err)
				}
			}()
			pid, err := labPID(args[0])
			if err != nil {
				return err
			}
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(sigs)
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
				return err
			}
			defer syscall.Kill(pid, syscall.SIGCONT) // (also when interrupted)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "paused the process on port %s (pid %d) for %v\n", args[0], pid, d)
			select {
			case <-time.After(d):
			case <-sigs:
			}
			fmt.Fprintf(out, "the process on port %s goes on\n", args[0])
			return nil
		},
	}
	cmd.Flags().DurationVar(&d, "for", 15*time.Second, "how long the process stays stopped")
	return cmd
}

// labPID is the process ID of the lab's process on 127.0.0.1:port, as INFO says.
func labPID(port string) (int, error) {
	cl := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, MaxRetries: -1, DisableIdentity: true})
	defer cl.Close()
	info, err := cl.Info(context.Background(), "server").Result()
	if err != nil {
		return 0, fmt.Errorf("nothing answers on port %s: %w", port, err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "process_id:"); ok {
			if pid, _ := strconv.Atoi(v); pid > 0 {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("the process on port %s does not say its process_id", port)
}

// waitPing waits until p answers PING; an error if it exits, does not answer within
// d, or the lab is interrupted.
func waitPing(p *labProc, d time.Duration, sigs chan os.Signal) error {
	cl := redis.NewClient(&redis.Options{Addr: p.addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond, DisableIdentity: true})
	defer cl.Close()
	deadline := time.Now().Add(d)
	for cl.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s %s did not start (see its log under %s)", p.role, p.addr, p.name)
		}
		select {
		case <-sigs:
			return fmt.Errorf("interrupted")
		case <-p.done:
			return fmt.Errorf("%s %s exited (see its log under %s)", p.role, p.addr, p.name)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// replicasInSync waits up to d until every replica among the nodes has its link to
// its primary up (its first synchronization done): until then a primary's failure
// would lose what it holds.
func replicasInSync(nodes []string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for _, addr := range nodes {
		cl := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DisableIdentity: true})
		for {
			info, err := cl.Info(context.Background(), "replication").Result()
			if err == nil && (strings.Contains(info, "role:master") || strings.Contains(info, "master_link_status:up")) {
				break
			}
			if time.Now().After(deadline) {
				cl.Close()
				return fmt.Errorf("the replica %s did not synchronize with its primary", addr)
			}
			time.Sleep(50 * time.Millisecond)
		}
		cl.Close()
	}
	return nil
}

// clusterOK waits up to d until the node at addr is in a cluster serving every slot.
func clusterOK(addr string, d time.Duration) bool {
	cl := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DisableIdentity: true})
	defer cl.Close()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if info, err := cl.ClusterInfo(context.Background()).Result(); err == nil && strings.Contains(info, "cluster_state:ok") {
			return true
		}
	}
	return false
}

// stopLab stops the processes with SIGTERM (SIGKILL after 10 s): the proxy, then
// the sentinels together (no failover starts while the nodes stop), then the nodes
// together.
func stopLab(procs []*labProc) {
	for _, role := range []string{"proxy", "sentinel", "node"} {
		var group []*labProc
		for _, p := range procs {
			if p.role == role {
				p.cmd.Process.Signal(syscall.SIGTERM)
				group = append(group, p)
			}
		}
		deadline := time.After(10 * time.Second)
		for _, p := range group {
			select {
			case <-p.done:
			case <-deadline:
				p.cmd.Process.Kill()
				<-p.done
			}
		}
	}
}

// printLab prints who is where: each process with its role, address, metrics and (for
// data nodes) its slots or primary, then how to connect.
func printLab(out io.Writer, cfg labConfig, procs []*labProc, seed string) {
	roles := map[string]string{}
	cl := redis.NewClient(&redis.Options{Addr: seed, MaxRetries: -1, DisableIdentity: true})
	if text, err := cl.ClusterNodes(context.Background()).Result(); err == nil {
		byID := map[string]string{}
		for _, line := range strings.Split(text, "\n") {
			if f := strings.Fields(line); len(f) >= 8 {
				byID[f[0]], _, _ = strings.Cut(f[1], "@")
			}
		}
		for _, line := range strings.Split(text, "\n") {
			f := strings.Fields(line)
			if len(f) < 8 {
				continue
			}
			addr, _, _ := strings.Cut(f[1], "@")
			if strings.Contains(f[2], "master") {
				roles[addr] = "primary, slots " + strings.Join(f[8:], " ")
			} else {
				roles[addr] = "replica of " + byID[f[3]]
			}
		}
	}
	cl.Close()
	sorted := append([]*labProc(nil), procs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].addr < sorted[j].addr })
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tADDRESS\tMETRICS\t")
	for _, p := range sorted {
		role := p.role
		if r := roles[p.addr]; r != "" {
			role = r
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", role, p.addr, p.metrics)
	}
	tw.Flush()
	_, firstPort, _ := net.SplitHostPort(seed)
	fmt.Fprintf(out, "\nConnect:\n  redis-cli -c -p %s                 (cluster mode: follows redirections)\n", firstPort)
	if !cfg.noProxy {
		fmt.Fprintf(out, "  redis-cli -p %d                    (through the proxy, any client)\n", cfg.proxyPort())
	}
	fmt.Fprintf(out, "  redis-cli -p %d SENTINEL MASTERS   (the sentinels)\n", cfg.sentinelPort(0))
	exe := os.Args[0]
	fmt.Fprintf(out, "  %s cluster --sentinels 127.0.0.1:%d check\n", exe, cfg.sentinelPort(0))
	fmt.Fprintf(out, "Drills, from another terminal (failovers and nodes going down show below):\n")
	fmt.Fprintf(out, "  %s lab kill %s             (crash a primary: its replica takes over; the lab starts it again as a replica)\n", exe, firstPort)
	fmt.Fprintf(out, "  %s lab pause %s --for 15s  (cut a primary off for 15 s, as a network partition)\n", exe, firstPort)
	fmt.Fprintf(out, "Data and logs under %s. Ctrl-C stops the lab.\n", cfg.dir)
}
