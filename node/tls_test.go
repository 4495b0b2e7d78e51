package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testPKI is a CA with a server and a client certificate, written to files.
type testPKI struct {
	dir                   string
	caFile                string
	serverCert, serverKey string
	clientCert, clientKey string
	pool                  *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shoal test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(ca)
	p.caFile = p.write("ca.crt", "CERTIFICATE", caDER)
	issue := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		return p.write(name+".crt", "CERTIFICATE", der), p.write(name+".key", "EC PRIVATE KEY", kder)
	}
	p.serverCert, p.serverKey = issue("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = issue("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

func (p *testPKI) write(name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
	return path
}

func (p *testPKI) clientTLS(t *testing.T, withCert bool) *tls.Config {
	tc := &tls.Config{RootCAs: p.pool, ServerName: "localhost"}
	if withCert {
		cert, err := tls.LoadX509KeyPair(p.clientCert, p.clientKey)
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func TestTLS(t *testing.T) {
	p := newTestPKI(t)
	ctx := context.Background()
	start := func(extra ...string) *Server {
		dirs := append([]string{"port", freePort(t), "tls-port", freePort(t), "tls-cert-file", p.serverCert, "tls-key-file", p.serverKey,
			"tls-ca-cert-file", p.caFile}, extra...)
		s, _ := startShoal(t, dirs...)
		return s
	}
	ping := func(addr string, tc *tls.Config) error {
		c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: tc, MaxRetries: -1, DialTimeout: 5 * time.Second})
		defer c.Close()
		return c.Ping(ctx).Err()
	}

	s := start()
	if err := ping(s.TLSAddr(), p.clientTLS(t, true)); err != nil {
		t.Fatalf("client with a certificate: %v", err)
	}
	if err := ping(s.TLSAddr(), p.clientTLS(t, false)); err == nil {
		t.Fatal("tls-auth-clients yes let a client without certificate in")
	}
	if err := ping(s.TLSAddr(), nil); err == nil {
		t.Fatal("plain text was served on the TLS port")
	}
	if err := ping(s.Addr().String(), nil); err != nil {
		t.Fatalf("the plain port stopped working: %v", err)
	}

	s = start("tls-auth-clients", "optional")
	if err := ping(s.TLSAddr(), p.clientTLS(t, false)); err != nil {
		t.Fatalf("optional client certificate: %v", err)
	}

	s = start("tls-protocols", "TLSv1.3", "tls-auth-clients", "no")
	old := p.clientTLS(t, false)
	old.MaxVersion = tls.VersionTLS12
	if err := ping(s.TLSAddr(), old); err == nil {
		t.Fatal("a TLS 1.2 client was served under tls-protocols TLSv1.3")
	}
	if err := ping(s.TLSAddr(), p.clientTLS(t, false)); err != nil {
		t.Fatalf("TLS 1.3: %v", err)
	}

	s = start("tls-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256", "tls-auth-clients", "no")
	if err := ping(s.TLSAddr(), p.clientTLS(t, false)); err == nil {
		// Go clients prefer AES-GCM on hardware with AES support; the server then refuses.
		t.Log("the client negotiated ChaCha20 itself")
	}

	// One port cannot serve both.
	port := freePort(t)
	srv := newShoal(t, "port", port, "tls-port", port, "tls-cert-file", p.serverCert, "tls-key-file", p.serverKey, "tls-auth-clients", "no")
	if err := srv.Start(); err == nil || !strings.Contains(err.Error(), "cannot be the same") {
		srv.Close()
		t.Fatalf("same port: %v", err)
	}
	bad := newShoal(t, "tls-port", freePort(t), "tls-cert-file", p.serverCert, "tls-key-file", p.serverKey)
	if err := bad.Start(); err == nil {
		bad.Close()
		t.Fatal("tls-auth-clients yes without a CA started")
	}
}
