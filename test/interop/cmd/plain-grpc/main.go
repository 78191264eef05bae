// Command plain-grpc is a gRPC server with no go-micro and no keel in it: what an
// application in another language looks like to `keel sidecar`. It serves
// basis.Basis/Hello (the messages of basis.proto, registered by hand: no generated
// gRPC stubs needed), server reflection, and, unless --no_health, the standard
// grpc.health.v1 health service.
//
// Once listening it prints one line to stdout:
//
//	READY <host:port>
//
// Lines on stdin set the health status of the whole server (service ""):
// "SERVING" or "NOT_SERVING"; each is acknowledged with "STATUS <status>" on stdout.
// It exits when stdin closes, so a crashed parent leaves no server behind.
//
//	plain-grpc [--address 127.0.0.1:0] [--no_health]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"keel.test/interop/basis"
)

func hello(address string) grpc.MethodHandler {
	return func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		req := new(basis.Request)
		if err := dec(req); err != nil {
			return nil, err
		}
		return &basis.Response{Msg: fmt.Sprintf("Hello %s from plain-grpc (%s)", req.Name, address)}, nil
	}
}

func main() {
	addr := flag.String("address", "127.0.0.1:0", "listen address")
	noHealth := flag.Bool("no_health", false, "do not serve grpc.health.v1")
	flag.Parse()

	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "plain-grpc: listen on %s: %v\n", *addr, err)
		os.Exit(1)
	}
	address := lis.Addr().String()
	srv := grpc.NewServer()
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "basis.Basis",
		HandlerType: (*any)(nil),
		Methods:     []grpc.MethodDesc{{MethodName: "Hello", Handler: hello(address)}},
		Metadata:    "basis.proto",
	}, struct{}{})
	reflection.Register(srv)
	var hs *health.Server
	if !*noHealth {
		hs = health.NewServer() // SERVING for "" from the start
		healthpb.RegisterHealthServer(srv, hs)
	}
	go func() {
		if err := srv.Serve(lis); err != nil {
			fmt.Fprintf(os.Stderr, "plain-grpc: serve: %v\n", err)
			os.Exit(1)
		}
	}()
	fmt.Printf("READY %s\n", address)

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		status, ok := healthpb.HealthCheckResponse_ServingStatus_value[line]
		if !ok || hs == nil {
			fmt.Fprintf(os.Stderr, "plain-grpc: ignored %q\n", line)
			continue
		}
		hs.SetServingStatus("", healthpb.HealthCheckResponse_ServingStatus(status))
		fmt.Printf("STATUS %s\n", line)
	}
	srv.Stop()
}
