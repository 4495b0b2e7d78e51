package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/shoal-db/shoal/admin"
)

// clusterCmd is `shoal cluster …`: the operator's commands, redis-cli --cluster's
// counterparts, working through the sentinel group.
func clusterCmd() *cobra.Command {
	var sentinels string
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Create, check, grow, shrink and reshard a cluster (like redis-cli --cluster)",
		Long: `Operate a cluster. Every sub-command reads the layout from the sentinel group
and commits changes there (--sentinels, or $SHOAL_SENTINELS, a comma-separated
list of sentinel RESP addresses); data moves between nodes with MIGRATE.
Nodes are named by ID, unique ID prefix (4+ characters) or host:port.`,
	}
	def := os.Getenv("SHOAL_SENTINELS")
	if def == "" {
		def = "127.0.0.1:26379"
	}
	cmd.PersistentFlags().StringVar(&sentinels, "sentinels", def, "sentinel RESP addresses, comma-separated")
	session := func(cmd *cobra.Command) *admin.Admin {
		return admin.New(strings.Split(sentinels, ","), cmd.OutOrStdout(), newProgress(cmd.ErrOrStderr()))
	}
	run := func(f func(a *admin.Admin, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			a := session(cmd)
			defer a.Close()
			if err := f(a, args); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "[ERR] %v\n", err)
				return err
			}
			return nil
		}
	}

	var replicas int
	var ifNew bool
	create := &cobra.Command{
		Use:   "create host:port... [--replicas N] [--if-new]",
		Short: "Make a cluster of empty cluster-enabled nodes: primaries with the slots split evenly, and replicas",
		Args:  cobra.MinimumNArgs(1),
		RunE: run(func(a *admin.Admin, args []string) error {
			if ifNew {
				if made, err := a.Created(); err != nil || made {
					if made {
						fmt.Fprintln(cmd.OutOrStdout(), "The sentinels hold a layout with slots already: nothing to create.")
					}
					return err
				}
			}
			return a.Create(args, replicas)
		}),
	}
	create.Flags().IntVar(&replicas, "replicas", 0, "replicas per primary")
	create.Flags().BoolVar(&ifNew, "if-new", false, "do nothing when the sentinels' layout assigns slots already (a step run on every start)")

	check := &cobra.Command{
		Use:   "check",
		Short: "Check that every node follows the layout, no slot is open and every slot is covered",
		Args:  cobra.NoArgs,
		RunE:  run(func(a *admin.Admin, _ []string) error { return a.Check() }),
	}
	info := &cobra.Command{
		Use:   "info",
		Short: "Keys, slots and replicas of every primary",
		Args:  cobra.NoArgs,
		RunE:  run(func(a *admin.Admin, _ []string) error { return a.Info() }),
	}

	var replicaOf string
	var asReplica bool
	addNode := &cobra.Command{
		Use:   "add-node host:port [--replica [--replica-of node]]",
		Short: "Add an empty node: a primary without slots, or a replica",
		Args:  cobra.ExactArgs(1),
		RunE: run(func(a *admin.Admin, args []string) error {
			return a.AddNode(args[0], asReplica || replicaOf != "", replicaOf)
		}),
	}
	addNode.Flags().BoolVar(&asReplica, "replica", false, "add the node as a replica (of the primary with the fewest replicas)")
	addNode.Flags().StringVar(&replicaOf, "replica-of", "", "add the node as a replica of this primary")

	delNode := &cobra.Command{
		Use:   "del-node node",
		Short: "Remove a node (a primary must have no slots left)",
		Args:  cobra.ExactArgs(1),
		RunE:  run(func(a *admin.Admin, args []string) error { return a.DelNode(args[0]) }),
	}

	var opts admin.MoveOptions
	moveFlags := func(c *cobra.Command) {
		c.Flags().IntVar(&opts.Batch, "batch", 64, "slots moved under one pair of commits (--classic)")
		c.Flags().IntVar(&opts.Pipeline, "pipeline", 100, "keys per MIGRATE (--classic)")
		c.Flags().DurationVar(&opts.MigrateTimeout, "timeout", 0, "MIGRATE timeout (default 60s; --classic)")
		c.Flags().BoolVar(&opts.Replace, "replace", false, "overwrite keys the target has already (MIGRATE REPLACE; --classic)")
		c.Flags().BoolVar(&opts.Classic, "classic", false, "move slots as redis-cli --cluster does (MIGRATE, ASK redirections) instead of shoal's own moves")
	}
	var from, to string
	var count int
	reshard := &cobra.Command{
		Use:   "reshard --from node,...|all --to node --slots N",
		Short: "Move N slots, with their keys, to a primary",
		Args:  cobra.NoArgs,
		RunE: run(func(a *admin.Admin, _ []string) error {
			if from == "" || to == "" || count == 0 {
				return fmt.Errorf("--from, --to and --slots are required")
			}
			return a.Reshard(strings.Split(from, ","), to, count, opts)
		}),
	}
	reshard.Flags().StringVar(&from, "from", "", "source primaries, comma-separated, or all")
	reshard.Flags().StringVar(&to, "to", "", "target primary")
	reshard.Flags().IntVar(&count, "slots", 0, "how many slots to move")
	moveFlags(reshard)

	var weights []string
	var useEmpty, simulate, byMemory bool
	var threshold float64
	rebalance := &cobra.Command{
		Use:   "rebalance [--weight node=w ...] [--by-memory] [--use-empty-masters] [--threshold 2] [--simulate]",
		Short: "Move slots until every primary has its weighted share of the slots (or of the data's memory)",
		Args:  cobra.NoArgs,
		RunE: run(func(a *admin.Admin, _ []string) error {
			ws := map[string]float64{}
			for _, w := range weights {
				ref, v, ok := strings.Cut(w, "=")
				f, err := strconv.ParseFloat(v, 64)
				if !ok || err != nil || f < 0 {
					return fmt.Errorf("--weight %q: want node=weight", w)
				}
				ws[ref] = f
			}
			if byMemory {
				return a.RebalanceMemory(ws, useEmpty, threshold, simulate, opts)
			}
			return a.Rebalance(ws, useEmpty, threshold, simulate, opts)
		}),
	}
	rebalance.Flags().StringArrayVar(&weights, "weight", nil, "node=weight (repeatable; 1 by default, 0 empties the primary)")
	rebalance.Flags().BoolVar(&useEmpty, "use-empty-masters", false, "give slots to primaries that have none")
	rebalance.Flags().Float64Var(&threshold, "threshold", 2, "move nothing when every primary is within this percentage of its share")
	rebalance.Flags().BoolVar(&simulate, "simulate", false, "print the moves without making them")
	rebalance.Flags().BoolVar(&byMemory, "by-memory", false, "balance the memory the slots' data takes (CLUSTER SLOT-STATS), not the slot count")
	moveFlags(rebalance)

	var force bool
	cancelMoves := &cobra.Command{
		Use:   "cancel-moves",
		Short: "Roll back every slot move under way (the slots stay with their sources)",
		Args:  cobra.NoArgs,
		RunE:  run(func(a *admin.Admin, _ []string) error { return a.CancelMoves() }),
	}

	failoverCmd := &cobra.Command{
		Use:   "failover replica|primary|shard [--force]",
		Short: "Promote a replica (gracefully: nothing acknowledged is lost), or a shard's best one",
		Args:  cobra.ExactArgs(1),
		RunE:  run(func(a *admin.Admin, args []string) error { return a.Failover(args[0], force) }),
	}
	failoverCmd.Flags().BoolVar(&force, "force", false, "do not wait for the primary (it is down): fence it and promote")

	cmd.AddCommand(create, check, info, addNode, delNode, reshard, rebalance, cancelMoves, failoverCmd)
	return cmd
}

// newProgress shows progress as a bar on a terminal, as a line per tenth otherwise.
func newProgress(w io.Writer) admin.Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w}
	}
	return &lineProgress{w: w}
}

type barProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (p *barProgress) Start(what string, total int) {
	p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionFullWidth(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }))
}
func (p *barProgress) Add(n int) { p.bar.Add(n) }
func (p *barProgress) Finish()   { p.bar.Finish() }

type lineProgress struct {
	w                 io.Writer
	what              string
	total, done, next int
}

func (p *lineProgress) Start(what string, total int) {
	p.what, p.total, p.done, p.next = what, total, 0, total/10
}

func (p *lineProgress) Add(n int) {
	p.done += n
	if p.done >= p.next || p.done == p.total {
		fmt.Fprintf(p.w, "%s: %d/%d\n", p.what, p.done, p.total)
		p.next = p.done + max(p.total/10, 1)
	}
}

func (p *lineProgress) Finish() {}
