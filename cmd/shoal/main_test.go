package main

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildShoal compiles the binary once per test into a temp dir.
func buildShoal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shoal")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The binary starts from a config file plus overrides, serves, and exits cleanly on
// SIGTERM, removing its pidfile.
func TestServerConfigFileAndSIGTERM(t *testing.T) {
	bin := buildShoal(t)
	dir := t.TempDir()
	port := freePort(t)
	inc := filepath.Join(dir, "extra.conf")
	os.WriteFile(inc, []byte("maxmemory 1mb\n"), 0o644)
	conf := filepath.Join(dir, "shoal.conf")
	os.WriteFile(conf, []byte("# test config\nport 1\nbind 127.0.0.1\ninclude "+inc+"\nsave \"\"\nloglevel notice\n"+
		"pidfile "+filepath.Join(dir, "shoal.pid")+"\ndir "+dir+"\n"), 0o644)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "server", conf, "--port", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var conn net.Conn
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if conn, err = net.Dial("tcp", addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	conn.Write([]byte("CONFIG GET maxmemory\r\n"))
	r := bufio.NewReader(conn)
	for _, want := range []string{"*2\r\n", "$9\r\n", "maxmemory\r\n", "$7\r\n", "1048576\r\n"} {
		if line, _ := r.ReadString('\n'); line != want {
			t.Fatalf("CONFIG GET maxmemory: got %q want %q", line, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "shoal.pid")); err != nil {
		t.Fatalf("pidfile: %v", err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no exit after SIGTERM\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "Received SIGTERM") {
		t.Errorf("log lacks the SIGTERM line:\n%s", logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "shoal.pid")); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind")
	}
}

// A bad directive stops the server with the file and line of the error.
func TestServerConfigError(t *testing.T) {
	bin := buildShoal(t)
	conf := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(conf, []byte("port 7000\nmaxmemory lots\n"), 0o644)
	out, err := exec.Command(bin, "server", conf).CombinedOutput()
	if err == nil {
		t.Fatalf("server started with a bad config:\n%s", out)
	}
	for _, want := range []string{"FATAL CONFIG FILE ERROR", conf, "line 2", "maxmemory lots"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error output lacks %q:\n%s", want, out)
		}
	}
}
