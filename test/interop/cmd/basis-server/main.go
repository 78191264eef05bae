// Command basis-server is a go-micro v5 Basis service for keel's interoperability
// tests: go-micro's gRPC server, registered in Consul by go-micro's Consul registry
// (or, with --registry mdns, by go-micro's default mDNS registry), exactly as a go-micro
// service in production would be.
//
// It replies "Hello <name> from <node id> (<address>)" like keel's examples/basis
// server, where the node id is the Consul service ID ("<name>-<uuid>"), and serves the
// server-streaming Basis.Stream (stream.go), reporting how each stream ended on stderr,
// the client-streaming Basis.Collect and the bidi Basis.Chat (collect.go).
//
// Once the registry lists the node it prints one line to stdout:
//
//	READY <node id> <host:port>
//
// Everything else (go-micro's logs, --log_requests) goes to stderr. SIGTERM or
// SIGINT deregisters the node, stops the server and exits 0.
//
//	basis-server [--registry consul|mdns] --registry_address 127.0.0.1:8500 [--name basis] [--server_address 127.0.0.1:0]
//	             [--register_ttl 10s] [--register_interval 3s] [--server_id UUID] [--log_requests]
//	             [--exit_on_stdin_close] [--tls_cert F --tls_key F [--tls_ca F]]
//
// With --tls_cert it serves TLS (go-micro's grpcserver.AuthTLS); with --tls_ca too, mutual TLS.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	grpcserver "go-micro.dev/v5/server/grpc"
	"google.golang.org/grpc"

	"keel.test/interop/basis"
	"keel.test/interop/internal/registryflag"
	"keel.test/interop/internal/stderrlog"
	"keel.test/interop/internal/tlsflags"
)

type handler struct {
	nodeID  string
	address string
}

func (h *handler) Hello(_ context.Context, req *basis.Request, rsp *basis.Response) error {
	rsp.Msg = fmt.Sprintf("Hello %s from %s (%s)", req.Name, h.nodeID, h.address)
	return nil
}

// logRequests prints, to stderr, the gRPC path and metadata of every request, so a
// test can see exactly what a (keel) client sent.
func logRequests(next server.HandlerFunc) server.HandlerFunc {
	return func(ctx context.Context, req server.Request, rsp interface{}) error {
		path, _ := grpc.Method(ctx)
		md, _ := metadata.FromContext(ctx)
		fmt.Fprintf(os.Stderr, "REQUEST path=%s endpoint=%s content-type=%s metadata=%v\n",
			path, req.Endpoint(), req.ContentType(), md)
		return next(ctx, req, rsp)
	}
}

func main() {
	stderrlog.Install() // before any go-micro component copies the default logger
	name := flag.String("name", "basis", "service name to register")
	regKind := registryflag.Register()
	regAddr := flag.String("registry_address", defaultRegistryAddress(), "Consul HTTP address (default $MICRO_REGISTRY_ADDRESS, $CONSUL_HTTP_ADDR, 127.0.0.1:8500)")
	srvAddr := flag.String("server_address", envOr("MICRO_SERVER_ADDRESS", "127.0.0.1:0"), "gRPC listen address (default $MICRO_SERVER_ADDRESS or 127.0.0.1:0)")
	ttl := flag.Duration("register_ttl", 10*time.Second, "Consul TTL check (go-micro's RegisterTTL)")
	interval := flag.Duration("register_interval", 3*time.Second, "how often the TTL check is passed (go-micro's RegisterInterval)")
	id := flag.String("server_id", "", "server id; the node id is <name>-<server_id> (default: a random UUID)")
	logReq := flag.Bool("log_requests", false, "log each request's gRPC path and metadata to stderr")
	stdinExit := flag.Bool("exit_on_stdin_close", false, "stop (and deregister) when stdin closes, so a crashed parent leaves no server behind")
	readyTimeout := flag.Duration("ready_timeout", 15*time.Second, "give up when the registry does not list the node within this time")
	tlsFlags := tlsflags.Register(false)
	flag.Parse()

	reg, err := registryflag.New(*regKind, *regAddr)
	if err != nil {
		fail("%v", err)
	}
	// Listen first so the handler knows its address before any request can arrive.
	lis, err := net.Listen("tcp", *srvAddr)
	if err != nil {
		fail("listen on %s: %v", *srvAddr, err)
	}
	opts := []server.Option{
		server.Name(*name),
		server.Address(lis.Addr().String()),
		grpcserver.Listener(lis),
		server.Registry(reg),
		server.RegisterTTL(*ttl),
		server.RegisterInterval(*interval),
	}
	if *id != "" {
		opts = append(opts, server.Id(*id))
	}
	if *logReq {
		opts = append(opts, server.WrapHandler(logRequests))
	}
	if tlsFlags.Enabled() {
		cfg, err := tlsFlags.Server()
		if err != nil {
			fail("tls: %v", err)
		}
		opts = append(opts, grpcserver.AuthTLS(cfg))
	}
	srv := grpcserver.NewServer(opts...)
	o := srv.Options()
	h := &handler{nodeID: o.Name + "-" + o.Id, address: lis.Addr().String()}
	if err := basis.RegisterBasisHandler(srv, h); err != nil {
		fail("register handler: %v", err)
	}

	// Signals first: one that arrives while starting must still deregister.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if *stdinExit {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- syscall.SIGTERM
		}()
	}

	if err := srv.Start(); err != nil {
		fail("start: %v", err)
	}

	// go-micro only logs a failed registration, so wait until the registry lists the node.
	if err := waitListed(reg, *name, h.nodeID, *readyTimeout, stop); err != nil {
		_ = srv.Stop()
		fail("%v", err)
	}
	fmt.Printf("READY %s %s\n", h.nodeID, h.address)

	<-stop
	if err := srv.Stop(); err != nil { // deregisters, then stops gRPC
		fail("stop: %v", err)
	}
}

func waitListed(reg registry.Registry, name, nodeID string, timeout time.Duration, stop <-chan os.Signal) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		services, err := reg.GetService(name)
		lastErr = err
		for _, s := range services {
			for _, n := range s.Nodes {
				if n.Id == nodeID {
					return nil
				}
			}
		}
		select {
		case <-stop:
			return fmt.Errorf("stopped before %s was registered", nodeID)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not list %s within %v (last error: %v)", reg, nodeID, timeout, lastErr)
}

func defaultRegistryAddress() string {
	return envOr("MICRO_REGISTRY_ADDRESS", envOr("CONSUL_HTTP_ADDR", "127.0.0.1:8500"))
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "basis-server: "+format+"\n", args...)
	os.Exit(1)
}
