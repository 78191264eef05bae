// Package tlsflags gives the interop commands TLS flags (--tls_ca, --tls_cert,
// --tls_key, --tls_server_name) and turns them into a crypto/tls config for
// go-micro's gRPC plugin (grpcserver.AuthTLS / grpcclient.AuthTLS). No flag set
// means no TLS, as before.
package tlsflags

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
)

// Flags are the TLS flags of one command.
type Flags struct {
	ca, cert, key, serverName *string
}

// Register adds the flags to the default flag set; call before flag.Parse.
func Register(client bool) *Flags {
	f := &Flags{
		ca:   flag.String("tls_ca", "", "PEM CA file: servers trust client certificates it signed (mutual TLS); clients verify servers with it"),
		cert: flag.String("tls_cert", "", "PEM certificate file (a server's, or a client's for mutual TLS)"),
		key:  flag.String("tls_key", "", "PEM key file for --tls_cert"),
	}
	if client {
		f.serverName = flag.String("tls_server_name", "", "name to verify in the server certificate (default: the service name)")
	}
	return f
}

// Enabled reports whether any TLS flag was given.
func (f *Flags) Enabled() bool {
	return *f.ca != "" || *f.cert != "" || (f.serverName != nil && *f.serverName != "")
}

func (f *Flags) pool() (*x509.CertPool, error) {
	pem, err := os.ReadFile(*f.ca)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", *f.ca)
	}
	return pool, nil
}

// Server is the config of a server: its certificate, and with --tls_ca, client
// certificates required and verified against it.
func (f *Flags) Server() (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(*f.cert, *f.key)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if *f.ca != "" {
		if cfg.ClientCAs, err = f.pool(); err != nil {
			return nil, err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// Client is the config of a client: servers verified against --tls_ca and
// --tls_server_name (else `service`, as keel does: registries hold IPs), and a
// client certificate when --tls_cert is given.
func (f *Flags) Client(service string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: service, MinVersion: tls.VersionTLS12}
	if *f.serverName != "" {
		cfg.ServerName = *f.serverName
	}
	var err error
	if *f.ca != "" {
		if cfg.RootCAs, err = f.pool(); err != nil {
			return nil, err
		}
	}
	if *f.cert != "" {
		pair, err := tls.LoadX509KeyPair(*f.cert, *f.key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
