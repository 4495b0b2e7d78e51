package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/node/conf"
)

// uncomment returns text with its commented-out directives ("# name value" lines
// whose name is known) made live, so an example's optional lines are checked too.
func uncomment(text string, known func(name string) bool) string {
	directive := regexp.MustCompile(`^# ([a-z][a-z0-9-]*) (\S.*)$`)
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if m := directive.FindStringSubmatch(line); m != nil && known(m[1]) {
			line = m[1] + " " + m[2]
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// TestExampleConfigs: deploy/conf's examples are read without an error or a warning,
// with their optional lines too, and say what they mean to.
func TestExampleConfigs(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/conf/shoal.conf")
	if err != nil {
		t.Fatal(err)
	}
	// (dir must exist where it is read: a temporary one stands in for /var/lib/shoal.)
	text := strings.Replace(string(raw), "\ndir /var/lib/shoal\n", "\ndir "+t.TempDir()+"\n", 1)
	isConfig := func(name string) bool { return len(conf.Default().Get(name)) > 0 }
	for _, text := range []string{text, uncomment(text, isConfig)} {
		cfg, warnings, err := conf.Parse(text, "shoal.conf")
		if err != nil || len(warnings) > 0 {
			t.Fatalf("deploy/conf/shoal.conf: %v %v", err, warnings)
		}
		if !cfg.ClusterEnabled || !cfg.Appendonly || cfg.MetricsPort != 9121 || cfg.ClusterSecret == "" {
			t.Errorf("deploy/conf/shoal.conf: cluster-enabled %v appendonly %v metrics-port %d", cfg.ClusterEnabled, cfg.Appendonly, cfg.MetricsPort)
		}
	}
	raw, err = os.ReadFile("../../deploy/conf/sentinel.conf")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseSentinelConf(string(raw), "sentinel.conf")
	if err != nil || len(f.warnings) > 0 {
		t.Fatalf("deploy/conf/sentinel.conf: %v %v", err, f)
	}
	flags := map[string]string{}
	for _, kv := range f.flags {
		flags[kv[0]] = kv[1]
	}
	if flags["id"] != "s1" || flags["peers"] != "s1=10.0.0.11:26379,s2=10.0.0.12:26379,s3=10.0.0.13:26379" || flags["secret"] == "" {
		t.Errorf("deploy/conf/sentinel.conf: %v", flags)
	}
	// Its optional lines parse too (bootstrap and join are alternatives to peers).
	isDirective := func(name string) bool { _, ok := flagDirectives[name]; return ok || name == "sentinel" }
	if f, err := parseSentinelConf(uncomment(string(raw), isDirective), "sentinel.conf"); err != nil || len(f.warnings) > 0 || len(f.monitors) != 1 {
		t.Errorf("deploy/conf/sentinel.conf, optional lines: %v %+v", err, f)
	}
}
