// Command consul is Consul's own CLI entry point, rebuilt from our module.
//
// Why this exists: `go install github.com/hashicorp/consul@vX` is refused
// because Consul's go.mod has local replace lines for its sub-modules. A
// dependency's replace lines are ignored, so this module requires Consul at a
// pinned version and pins the sub-modules (api, sdk, proto-public,
// envoyextensions, troubleshoot) itself, in go.mod, to the versions Consul's
// go.mod names. The body below is Consul v1.16.1's main.go (MPL-2.0,
// Copyright (c) HashiCorp, Inc.), unchanged apart from this comment.
package main

import (
	"fmt"
	"io"
	"log"
	"os"

	mcli "github.com/mitchellh/cli"

	"github.com/hashicorp/consul/command"
	"github.com/hashicorp/consul/command/cli"
	"github.com/hashicorp/consul/command/version"
	_ "github.com/hashicorp/consul/service_os"
)

func main() {
	os.Exit(realMain())
}

func realMain() int {
	log.SetOutput(io.Discard)

	ui := &cli.BasicUI{
		BasicUi: mcli.BasicUi{Writer: os.Stdout, ErrorWriter: os.Stderr},
	}
	cmds := command.RegisteredCommands(ui)
	var names []string
	for c := range cmds {
		names = append(names, c)
	}

	cli := &mcli.CLI{
		Args:         os.Args[1:],
		Commands:     cmds,
		Autocomplete: true,
		Name:         "consul",
		HelpFunc:     mcli.FilteredHelpFunc(names, mcli.BasicHelpFunc("consul")),
		HelpWriter:   os.Stdout,
		ErrorWriter:  os.Stderr,
	}

	if cli.IsVersion() {
		cmd := version.New(ui)
		return cmd.Run(nil)
	}

	exitCode, err := cli.Run()
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error executing CLI: %v\n", err)
		return 1
	}

	return exitCode
}
