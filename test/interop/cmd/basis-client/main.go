// Command basis-client is a go-micro v5 Basis client for keel's interoperability
// tests: go-micro's gRPC client with go-micro's registry selector over Consul (or, with
// --registry mdns, over go-micro's default mDNS registry), so it finds nodes exactly as a
// go-micro service in production would.
//
// It calls <service> "Basis.Hello" --count times (gRPC path /basis.Basis/Hello when the
// service is named "basis") and prints each reply's msg on its own line to stdout. On
// the first error it prints "ERROR <call number> <error>" to stderr and exits 1.
//
// With --describe it makes no call: it prints, as one JSON line, what go-micro's Consul
// registry decodes for the service (versions, endpoints, nodes with the metadata read
// from the t- tags; nodes with a critical check are left out, as go-micro does), and
// exits 1 when the service is not found. That checks that a registration written by
// someone else (keel) reads back in go-micro as intended.
//
//	basis-client --registry_address 127.0.0.1:8500 [--service basis] [--count 1]
//	             [--request_name go-micro] [--strategy roundrobin|random|rotate]
//	             [--timeout 5s] [--retries 0] [--interval 0s] [--address host:port]
//	             [--tls_ca F [--tls_cert F --tls_key F] [--tls_server_name N]]
//	             [--filter_endpoint Basis.Hello] [--filter_protocol]
//	basis-client --registry_address 127.0.0.1:8500 --stream N [--count 1] [--stream_interval 0s]
//	             [--stream_take K] [--no_close_send] [--service basis] [--strategy …] [--timeout 5s]
//	basis-client --registry_address 127.0.0.1:8500 --describe [--service basis]
//	basis-client --registry_address 127.0.0.1:8500 --list
//	basis-client … --collect N | --chat N [--count 1] [--request_name go-micro]
//
// --watch 5s prints, for 5 s, every result go-micro's registry watcher gives for the service, one
// JSON line each: {"action":"create|update|delete","nodes":["<node id>",…]} (after "WATCHING").
//
// Every form takes --registry consul|mdns (default consul; mdns ignores --registry_address).
// With --list it prints the names go-micro's ListServices returns, sorted, as one JSON line.
// --collect N calls the client-streaming Basis.Collect with N requests <request_name>-<i> and
// prints the reply; --chat N calls the bidi Basis.Chat, sending N requests one at a time and
// printing each reply (collect.go).
//
// With --tls_ca it calls over TLS (go-micro's grpcclient.AuthTLS), verifying the
// service name (or --tls_server_name); with --tls_cert too, mutual TLS.
// With --stream N it calls "Basis.Stream" instead (server streaming, N messages a call;
// --timeout bounds each whole stream) and prints each message's msg on its own line
// (see stream.go).
//
// --filter_endpoint adds go-micro's selector.FilterEndpoint (only versions whose endpoints,
// taken from the first Consul entry of the version, include that name); --filter_protocol adds
// selector.FilterLabel("protocol", "grpc") (only nodes whose t- tag metadata says grpc).
//
// Strategies: "random" is go-micro's default selector strategy; "roundrobin" is
// go-micro's RoundRobin, which starts at a random node on every call (go-micro builds
// a fresh iterator per call), so across calls it behaves like random; "rotate" keeps
// one counter across calls over the nodes sorted by id, so N calls over k nodes hit
// every node N/k times (deterministic spread for tests).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync/atomic"
	"time"

	"go-micro.dev/v5/client"
	grpcclient "go-micro.dev/v5/client/grpc"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/selector"

	"keel.test/interop/basis"
	"keel.test/interop/internal/registryflag"
	"keel.test/interop/internal/stderrlog"
	"keel.test/interop/internal/tlsflags"
)

func main() {
	stderrlog.Install() // before any go-micro component copies the default logger
	service := flag.String("service", "basis", "go-micro service name to call")
	regAddr := flag.String("registry_address", defaultRegistryAddress(), "Consul HTTP address (default $MICRO_REGISTRY_ADDRESS, $CONSUL_HTTP_ADDR, 127.0.0.1:8500)")
	count := flag.Int("count", 1, "number of calls")
	reqName := flag.String("request_name", "go-micro", "the name field of each Request")
	strategy := flag.String("strategy", "roundrobin", "node selection: random, roundrobin (go-micro's) or rotate (see doc)")
	timeout := flag.Duration("timeout", 5*time.Second, "per-call timeout")
	retries := flag.Int("retries", 0, "go-micro client retries (go-micro's default is 5, on timeouts only; 0 so every failure shows)")
	interval := flag.Duration("interval", 0, "pause between calls")
	address := flag.String("address", "", "call this host:port directly instead of selecting from Consul")
	filterEndpoint := flag.String("filter_endpoint", "", "select only services with this endpoint (selector.FilterEndpoint), e.g. Basis.Hello")
	filterProtocol := flag.Bool("filter_protocol", false, "select only nodes with metadata protocol=grpc (selector.FilterLabel)")
	describe := flag.Bool("describe", false, "print what go-micro's registry decodes for the service, as JSON, and exit")
	list := flag.Bool("list", false, "print the service names go-micro's ListServices returns, sorted, as JSON, and exit")
	watchFor := flag.Duration("watch", 0, "print what go-micro's registry watcher reports for the service for this long, one JSON line a result, and exit")
	regKind := registryflag.Register()
	tlsFlags := tlsflags.Register(true)
	flag.Parse()

	strat, err := pickStrategy(*strategy)
	if err != nil {
		fail("%v", err)
	}
	reg, err := registryflag.New(*regKind, *regAddr)
	if err != nil {
		fail("%v", err)
	}
	if *list {
		services, err := reg.ListServices()
		if err != nil {
			fmt.Fprintf(os.Stderr, "ERROR list %v\n", err)
			os.Exit(1)
		}
		names := []string{}
		for _, s := range services {
			names = append(names, s.Name)
		}
		sort.Strings(names)
		out, _ := json.Marshal(names)
		fmt.Println(string(out))
		return
	}
	if *watchFor > 0 {
		watch(reg, *service, *watchFor)
		return
	}
	if *describe {
		services, err := reg.GetService(*service)
		if err == nil && len(services) == 0 {
			err = registry.ErrNotFound
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "ERROR describe %v\n", err)
			os.Exit(1)
		}
		sort.Slice(services, func(i, j int) bool { return services[i].Version < services[j].Version })
		out, _ := json.Marshal(services)
		fmt.Println(string(out))
		return
	}
	sel := selector.NewSelector(selector.Registry(reg), selector.SetStrategy(strat))
	clientOpts := []client.Option{
		client.Selector(sel),
		client.Registry(reg),
		client.Retries(*retries),
		client.RequestTimeout(*timeout),
	}
	if tlsFlags.Enabled() {
		cfg, err := tlsFlags.Client(*service)
		if err != nil {
			fail("tls: %v", err)
		}
		clientOpts = append(clientOpts, grpcclient.AuthTLS(cfg))
	}
	cli := grpcclient.NewClient(clientOpts...)
	basisService := basis.NewBasisService(*service, cli)

	var callOpts []client.CallOption
	if *address != "" {
		callOpts = append(callOpts, client.WithAddress(*address))
	}
	if *filterEndpoint != "" {
		callOpts = append(callOpts, client.WithSelectOption(selector.WithFilter(selector.FilterEndpoint(*filterEndpoint))))
	}
	if *filterProtocol {
		callOpts = append(callOpts, client.WithSelectOption(selector.WithFilter(selector.FilterLabel("protocol", "grpc"))))
	}
	if *streamLen > 0 {
		streamCalls(basisService, *count, *reqName, *timeout, callOpts)
		return
	}
	if *collectLen > 0 {
		collectCalls(basisService, *count, *reqName, *timeout, callOpts)
		return
	}
	if *chatLen > 0 {
		chatCalls(basisService, *count, *reqName, *timeout, callOpts)
		return
	}
	for i := 1; i <= *count; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		rsp, err := basisService.Hello(ctx, &basis.Request{Name: *reqName}, callOpts...)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "ERROR %d %v\n", i, err)
			os.Exit(1)
		}
		fmt.Println(rsp.Msg)
		if *interval > 0 && i < *count {
			time.Sleep(*interval)
		}
	}
}

func watch(reg registry.Registry, service string, d time.Duration) {
	w, err := reg.Watch(registry.WatchService(service))
	if err != nil {
		fail("watch: %v", err)
	}
	fmt.Println("WATCHING")
	go func() {
		time.Sleep(d)
		w.Stop()
	}()
	for {
		r, err := w.Next()
		if err != nil {
			return // stopped
		}
		ids := []string{}
		for _, n := range r.Service.Nodes {
			ids = append(ids, n.Id)
		}
		out, _ := json.Marshal(map[string]interface{}{"action": r.Action, "nodes": ids})
		fmt.Println(string(out))
	}
}

func pickStrategy(name string) (selector.Strategy, error) {
	switch name {
	case "random":
		return selector.Random, nil
	case "roundrobin":
		return selector.RoundRobin, nil
	case "rotate":
		return rotate(), nil
	}
	return nil, fmt.Errorf("--strategy must be random, roundrobin or rotate, got %q", name)
}

// rotate is round robin whose position survives across calls (go-micro's RoundRobin
// restarts at a random node for every call). Nodes are ordered by id so the order is
// stable while the node set is.
func rotate() selector.Strategy {
	var next uint64
	return func(services []*registry.Service) selector.Next {
		var nodes []*registry.Node
		for _, s := range services {
			nodes = append(nodes, s.Nodes...)
		}
		sort.Slice(nodes, func(i, j int) bool { return nodes[i].Id < nodes[j].Id })
		return func() (*registry.Node, error) {
			if len(nodes) == 0 {
				return nil, selector.ErrNoneAvailable
			}
			return nodes[(atomic.AddUint64(&next, 1)-1)%uint64(len(nodes))], nil
		}
	}
}

func defaultRegistryAddress() string {
	if v := os.Getenv("MICRO_REGISTRY_ADDRESS"); v != "" {
		return v
	}
	if v := os.Getenv("CONSUL_HTTP_ADDR"); v != "" {
		return v
	}
	return "127.0.0.1:8500"
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "basis-client: "+format+"\n", args...)
	os.Exit(2)
}
