package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"go-micro.dev/v5/errors"

	"keel.test/interop/basis"
)

// Stream sends req.Count responses "<name> <i>/<count> from <node id> (<address>)",
// req.IntervalMs apart, or fails with FAILED_PRECONDITION (go-micro's 412) instead of
// sending message req.FailAt. It reports how each stream ended on stderr, one line,
// so a test can see what the caller's cancellation did to the handler:
//
//	STREAM DONE <node id> sent=<n>/<count>
//	STREAM CANCELLED <node id> sent=<n>/<count> err=<the context's error>
//	STREAM FAILED <node id> sent=<n>/<count> err=<error>
func (h *handler) Stream(ctx context.Context, req *basis.StreamRequest, stream basis.Basis_StreamStream) error {
	interval := time.Duration(req.IntervalMs) * time.Millisecond
	sent := int32(0)
	report := func(how string, err error) {
		line := fmt.Sprintf("STREAM %s %s sent=%d/%d", how, h.nodeID, sent, req.Count)
		if err != nil {
			line += " err=" + err.Error()
		}
		fmt.Fprintln(os.Stderr, line)
	}
	for i := int32(1); i <= req.Count; i++ {
		if i > 1 && interval > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(interval):
			}
		}
		// go-micro derives ctx from the gRPC stream's: it ends when the caller cancels.
		if err := ctx.Err(); err != nil {
			report("CANCELLED", err)
			return err
		}
		if i == req.FailAt {
			err := errors.New("basis", fmt.Sprintf("failed at %d", i), http.StatusPreconditionFailed)
			report("FAILED", err)
			return err
		}
		msg := fmt.Sprintf("%s %d/%d from %s (%s)", req.Name, i, req.Count, h.nodeID, h.address)
		if err := stream.Send(&basis.Response{Msg: msg}); err != nil {
			if ctx.Err() != nil {
				report("CANCELLED", ctx.Err())
				return ctx.Err()
			}
			report("FAILED", err)
			return err
		}
		sent++
	}
	report("DONE", nil)
	return nil
}
