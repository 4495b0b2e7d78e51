package admin

import (
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/node"
	"github.com/shoal-db/shoal/node/conf"
)

// TestNodeEpochWhileLoading: a node answering -LOADING (here held in its start-up
// load; a replica just made is the same while it loads its full sync) is asked again
// until it has loaded, instead of failing the change that asked it.
func TestNodeEpochWhileLoading(t *testing.T) {
	hold, entered := make(chan struct{}), make(chan struct{})
	cfg, _, err := conf.Load("", []string{"--port", "0", "--bind", "127.0.0.1", "--save", "", "--dir", t.TempDir(),
		"--cluster-enabled", "yes", "--cluster-port", "0"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := node.New(cfg, node.Options{Log: node.NewLogger(io.Discard, node.LevelWarning), BeforeLoad: func() {
		close(entered)
		<-hold
	}})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() { started <- s.Start() }()
	defer s.Close()
	<-entered
	a := New(nil, io.Discard, nil)
	defer a.Close()
	ctx, cancel := a.ctx()
	defer cancel()
	if err := a.client(s.Addr().String()).ClusterInfo(ctx).Err(); err == nil || err.Error() != "LOADING Redis is loading the dataset in memory" {
		t.Fatalf("CLUSTER INFO while loading: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := a.nodeEpoch(ctx, s.Addr().String())
		got <- err
	}()
	// Once the node has refused nodeEpoch too (its second -LOADING), let it load.
	refused := func() int {
		info := a.client(s.Addr().String()).Info(ctx, "errorstats").Val()
		_, rest, _ := strings.Cut(info, "errorstat_LOADING:count=")
		n, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(rest, "\r\n", 2)[0]))
		return n
	}
	for ctx.Err() == nil && refused() < 2 {
		select {
		case err := <-got:
			t.Fatalf("nodeEpoch returned while the node was loading: %v", err)
		default:
		}
	}
	close(hold)
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("nodeEpoch across the load: %v", err)
	}
}
