package node

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shoal-db/shoal/node/conf"
)

// TLS: tls-port serves the same protocol over TLS (crypto/tls), with the certificate
// and key of tls-cert-file/tls-key-file, client certificates checked against
// tls-ca-cert-file/tls-ca-cert-dir as tls-auth-clients asks (yes: required, optional:
// checked when given, no), the protocol versions of tls-protocols, and the suites of
// tls-ciphers (TLS 1.2, OpenSSL names) and tls-ciphersuites (TLS 1.3). Go does not let
// a server choose its TLS 1.3 suites, so a handshake that settles on one outside
// tls-ciphersuites is refused after the fact.

// tlsConfig builds the server's TLS configuration from cfg.
func tlsConfig(cfg *conf.Config) (*tls.Config, error) {
	if cfg.TLSCertFile == "" || cfg.TLSKeyFile == "" {
		return nil, errors.New("Failed to configure TLS: tls-cert-file and tls-key-file are required")
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("Failed to load certificate: %s: %v", cfg.TLSCertFile, err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.TLSCACertFile != "" || cfg.TLSCACertDir != "" {
		pool := x509.NewCertPool()
		files := []string{}
		if cfg.TLSCACertFile != "" {
			files = append(files, cfg.TLSCACertFile)
		}
		if cfg.TLSCACertDir != "" {
			matches, _ := filepath.Glob(filepath.Join(cfg.TLSCACertDir, "*"))
			files = append(files, matches...)
		}
		for _, f := range files {
			pem, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %v", err)
			}
			if !pool.AppendCertsFromPEM(pem) && f == cfg.TLSCACertFile {
				return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: no certificate in %s", f)
			}
		}
		tc.ClientCAs = pool
	}
	switch cfg.TLSAuthClients {
	case "yes":
		if tc.ClientCAs == nil {
			return nil, errors.New("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!")
		}
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		tc.ClientAuth = tls.NoClientCert
	}
	if cfg.TLSProtocols != "" {
		tc.MinVersion, tc.MaxVersion = 0, 0
		for _, p := range strings.Fields(cfg.TLSProtocols) {
			var v uint16
			switch strings.ToLower(p) {
			case "tlsv1.2":
				v = tls.VersionTLS12
			case "tlsv1.3":
				v = tls.VersionTLS13
			default:
				return nil, fmt.Errorf("Failed to configure TLS: unsupported protocol '%s' (shoal offers TLSv1.2 and TLSv1.3)", p)
			}
			if tc.MinVersion == 0 || v < tc.MinVersion {
				tc.MinVersion = v
			}
			if v > tc.MaxVersion {
				tc.MaxVersion = v
			}
		}
	}
	allowed13 := map[uint16]bool{}
	if cfg.TLSCiphers != "" {
		for _, name := range strings.Split(cfg.TLSCiphers, ":") {
			id, ok := tls12Suites[name]
			if !ok {
				return nil, fmt.Errorf("Failed to configure ciphers: unknown or unsupported cipher '%s'", name)
			}
			tc.CipherSuites = append(tc.CipherSuites, id)
		}
	}
	if cfg.TLSCiphersuites != "" {
		for _, name := range strings.Split(cfg.TLSCiphersuites, ":") {
			id, ok := tls13Suites[name]
			if !ok {
				return nil, fmt.Errorf("Failed to configure ciphersuites: unknown or unsupported ciphersuite '%s'", name)
			}
			allowed13[id] = true
		}
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if cs.Version == tls.VersionTLS13 && !allowed13[cs.CipherSuite] {
				return fmt.Errorf("TLS 1.3 suite %s is not in tls-ciphersuites", tls.CipherSuiteName(cs.CipherSuite))
			}
			return nil
		}
	}
	return tc, nil
}

// tls12Suites maps OpenSSL cipher names to Go's TLS 1.2 suites.
var tls12Suites = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
}

// tls13Suites are the TLS 1.3 suites by their standard names.
var tls13Suites = map[string]uint16{
	"TLS_AES_128_GCM_SHA256":       tls.TLS_AES_128_GCM_SHA256,
	"TLS_AES_256_GCM_SHA384":       tls.TLS_AES_256_GCM_SHA384,
	"TLS_CHACHA20_POLY1305_SHA256": tls.TLS_CHACHA20_POLY1305_SHA256,
}

// tlsPortsClash reports the configuration error of one port serving both.
func tlsPortsClash(cfg *conf.Config) error {
	if cfg.TLSPort != 0 && cfg.TLSPort == cfg.Port {
		return errors.New("tls-port and port cannot be the same: a port serves either plain text or TLS")
	}
	return nil
}

// TLSAddr is the address of the TLS listener, "" without one.
func (s *Server) TLSAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tlsAddr
}
