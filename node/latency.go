package node

import (
	"sort"
	"sync"
	"time"
)

// latencyMonitor records events slower than latency-monitor-threshold (LATENCY).
type latencyMonitor struct {
	mu     sync.Mutex
	events map[string]*latencySeries
}

type latencySample struct {
	at int64 // Unix seconds
	ms int64
}

// latencySeries keeps the last 160 per-second maxima of one event, as Redis does.
type latencySeries struct {
	samples []latencySample
	max     int64
}

const latencyHistory = 160

func (m *latencyMonitor) init() { m.events = map[string]*latencySeries{} }

// record adds a sample of event if it took at least threshold milliseconds (0 disables).
func (m *latencyMonitor) record(event string, d time.Duration, threshold int64) {
	ms := d.Milliseconds()
	if threshold <= 0 || ms < threshold {
		return
	}
	now := time.Now().Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.events[event]
	if s == nil {
		s = &latencySeries{}
		m.events[event] = s
	}
	s.max = max(s.max, ms)
	if n := len(s.samples); n > 0 && s.samples[n-1].at == now {
		s.samples[n-1].ms = max(s.samples[n-1].ms, ms)
		return
	}
	s.samples = append(s.samples, latencySample{now, ms})
	if len(s.samples) > latencyHistory {
		s.samples = s.samples[1:]
	}
}

func (m *latencyMonitor) names() []string {
	names := make([]string, 0, len(m.events))
	for k := range m.events {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func cmdLatencyLatest(c *Client) {
	m := &c.s.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	names := m.names()
	c.w.Array(len(names))
	for _, n := range names {
		s := m.events[n]
		last := s.samples[len(s.samples)-1]
		c.w.Array(4)
		c.w.BulkString(n)
		c.w.Int(last.at)
		c.w.Int(last.ms)
		c.w.Int(s.max)
	}
}

func cmdLatencyHistory(c *Client) {
	m := &c.s.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.events[string(c.args[2])]
	if s == nil {
		c.w.Array(0)
		return
	}
	c.w.Array(len(s.samples))
	for _, x := range s.samples {
		c.w.Array(2)
		c.w.Int(x.at)
		c.w.Int(x.ms)
	}
}

func cmdLatencyReset(c *Client) {
	m := &c.s.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	if len(c.args) == 2 {
		n = len(m.events)
		m.events = map[string]*latencySeries{}
	} else {
		for _, a := range c.args[2:] {
			if _, ok := m.events[string(a)]; ok {
				delete(m.events, string(a))
				n++
			}
		}
	}
	c.w.Int(int64(n))
}

func cmdLatencyDoctor(c *Client) {
	m := &c.s.latency
	m.mu.Lock()
	n := len(m.events)
	m.mu.Unlock()
	text := "Dave, no latency spike was observed during the lifetime of this shoal instance, not in the slightest bit. I honestly think you ought to sleep better.\n"
	if c.s.config().LatencyMonitorThreshold == 0 {
		text = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this shoal instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	} else if n > 0 {
		text = "Dave, I have observed latency spikes in this shoal instance. Use LATENCY LATEST and LATENCY HISTORY <event> for the figures.\n"
	}
	c.w.Verbatim("txt", text)
}

func cmdLatencyHelp(c *Client) {
	writeHelp(c, "LATENCY",
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.")
}
