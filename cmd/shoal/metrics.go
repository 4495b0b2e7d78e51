package main

import (
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// serveMetrics serves, on addr, Prometheus metrics at /metrics (the role's
// collectors plus the Go runtime's and the process's), /healthz (200 while the
// process runs) and /readyz (200 when ready says so, 503 otherwise); with slotKeys,
// /metrics/slots serves it alone (the per-slot series, scraped on demand). It returns
// the address it listens on and what stops it.
func serveMetrics(addr string, ready func() bool, slotKeys prometheus.Collector, cs ...prometheus.Collector) (string, func(), error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(cs...)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if slotKeys != nil {
		slotReg := prometheus.NewRegistry()
		slotReg.MustRegister(slotKeys)
		mux.Handle("/metrics/slots", promhttp.HandlerFor(slotReg, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }, nil
}
