package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"keel.test/interop/basis"
)

// Collect (client streaming) reads requests until the caller half-closes, then replies once:
// "Collected <n>: <name>,<name>,... from <node id> (<address>)". go-micro's generated server
// stream has no SendAndClose: the one reply is a SendMsg before returning.
func (h *handler) Collect(ctx context.Context, stream basis.Basis_CollectStream) error {
	var names []string
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		names = append(names, req.Name)
	}
	msg := fmt.Sprintf("Collected %d: %s from %s (%s)", len(names), strings.Join(names, ","), h.nodeID, h.address)
	return stream.SendMsg(&basis.Response{Msg: msg})
}

// Chat (bidi streaming) answers every request as it arrives, "Echo <name> from <node id> (<address>)",
// and ends when the caller half-closes.
func (h *handler) Chat(ctx context.Context, stream basis.Basis_ChatStream) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&basis.Response{Msg: fmt.Sprintf("Echo %s from %s (%s)", req.Name, h.nodeID, h.address)}); err != nil {
			return err
		}
	}
}
