package gossip

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Faults carries a member's traffic through a test's fault injection
// (internal/faults): streams are dialed through Dial, and packets for which Drop
// reports true (outbound: sent to addr; otherwise received from addr) are lost.
// Data nodes and sentinels take the same value for their other connections.
type Faults interface {
	Dial(ctx context.Context, network, addr string) (net.Conn, error)
	Drop(addr string, outbound bool) bool
}

// DialFunc dials a connection, as net.Dialer.DialContext does.
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// DialOf is f's Dial, nil when f is nil (the dialers below, and go-redis given a nil
// Dialer, then connect directly).
func DialOf(f Faults) DialFunc {
	if f == nil {
		return nil
	}
	return f.Dial
}

// Dial connects to addr over TCP through dial, or directly when dial is nil.
func Dial(ctx context.Context, dial DialFunc, addr string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return dial(ctx, "tcp", addr)
}

// DialTimeout is Dial within timeout.
func DialTimeout(dial DialFunc, addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return Dial(ctx, dial, addr)
}

// faultTransport is memberlist's own transport with Faults on its way out and in.
type faultTransport struct {
	*memberlist.NetTransport
	f        Faults
	packets  chan *memberlist.Packet
	stop     chan struct{} // closed when Shutdown starts
	done     chan struct{} // closed when memberlist's transport has stopped
	once     sync.Once
	doneOnce sync.Once
}

// newFaultTransport binds memberlist's transport on host:port (port 0: any, the
// same for UDP and TCP) and wraps it; it returns the port bound.
func newFaultTransport(host string, port int, f Faults, mc *memberlist.Config) (*faultTransport, int, error) {
	var nt *memberlist.NetTransport
	var err error
	for range 10 { // port 0 binds UDP and TCP apart: retried as memberlist does
		nt, err = memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{host}, BindPort: port, Logger: mc.Logger})
		if err == nil || port != 0 {
			break
		}
	}
	if err != nil {
		return nil, 0, err
	}
	t := &faultTransport{NetTransport: nt, f: f, packets: make(chan *memberlist.Packet),
		stop: make(chan struct{}), done: make(chan struct{})}
	go t.filter()
	return t, nt.GetAutoBindPort(), nil
}

// filter passes on the packets Faults does not drop. From Shutdown on it drops them
// all, and keeps draining memberlist's transport until it has stopped (its
// listener waits on every packet it hands over).
func (t *faultTransport) filter() {
	for {
		select {
		case p := <-t.NetTransport.PacketCh():
			if t.f.Drop(p.From.String(), false) {
				continue
			}
			select {
			case t.packets <- p:
			case <-t.stop:
			}
		case <-t.done:
			return
		}
	}
}

func (t *faultTransport) PacketCh() <-chan *memberlist.Packet { return t.packets }

// WriteTo, WriteToAddress, DialTimeout and DialAddressTimeout cover both of
// memberlist's transport interfaces: it uses the node-aware pair when the transport
// has it, and NetTransport's (promoted through the embedding) would bypass Faults.
func (t *faultTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

func (t *faultTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if t.f.Drop(a.Addr, true) {
		return time.Now(), nil
	}
	return t.NetTransport.WriteToAddress(b, a)
}

func (t *faultTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return DialTimeout(t.f.Dial, addr, timeout)
}

func (t *faultTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	return DialTimeout(t.f.Dial, a.Addr, timeout)
}

func (t *faultTransport) Shutdown() error {
	t.once.Do(func() { close(t.stop) })
	err := t.NetTransport.Shutdown()
	t.doneOnce.Do(func() { close(t.done) })
	return err
}

// useFaults makes mc use a fault transport bound on its BindAddr:BindPort.
func useFaults(mc *memberlist.Config, f Faults) error {
	t, port, err := newFaultTransport(mc.BindAddr, mc.BindPort, f, mc)
	if err != nil {
		return err
	}
	if mc.AdvertisePort == 0 {
		mc.AdvertisePort = port
	}
	mc.BindPort = port
	mc.Transport = t
	return nil
}
