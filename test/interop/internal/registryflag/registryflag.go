// Package registryflag gives the peers their --registry flag: go-micro's Consul registry at
// --registry_address (the default, as the Consul suites use it), or go-micro's default registry,
// mDNS (registry.NewMDNSRegistry, domain "micro", 100 ms lookups), which needs no address: exactly
// what a go-micro service started with no flags uses.
package registryflag

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/registry/consul"
)

// Register defines --registry on the default flag set.
func Register() *string {
	return flag.String("registry", "consul", "consul (at --registry_address) or mdns (go-micro's default registry)")
}

// New makes the registry named by kind; address is Consul's HTTP address.
func New(kind, address string) (registry.Registry, error) {
	switch kind {
	case "consul":
		return consul.NewConsulRegistry(registry.Addrs(strings.TrimPrefix(address, "http://")), registry.Timeout(5*time.Second)), nil
	case "mdns":
		return registry.NewMDNSRegistry(), nil
	}
	return nil, fmt.Errorf("--registry must be consul or mdns, got %q", kind)
}
