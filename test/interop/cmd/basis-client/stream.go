package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"go-micro.dev/v5/client"

	"keel.test/interop/basis"
)

var (
	streamLen      = flag.Int("stream", 0, "call Basis.Stream (server streaming) instead of Hello, asking for this many messages; --count streams, one after the other")
	streamInterval = flag.Duration("stream_interval", 0, "the pause between messages asked of the server (StreamRequest.interval_ms)")
	streamTake     = flag.Int("stream_take", 0, "close each stream after this many messages, cancelling it (0: read to the end)")
	noCloseSend    = flag.Bool("no_close_send", false, "do not half-close after the request, exactly as go-micro's generated client (see streamCall)")
)

// streamCalls makes count Basis.Stream calls, printing every message's msg on its own
// line; after a stream closed early by --stream_take it prints "CLOSED <call> after <n>".
// On the first error it prints "ERROR <call number> <error>" to stderr and exits 1.
func streamCalls(svc basis.BasisService, count int, name string, timeout time.Duration, opts []client.CallOption) {
	for i := 1; i <= count; i++ {
		if err := streamCall(svc, i, name, timeout, opts); err != nil {
			fmt.Fprintf(os.Stderr, "ERROR %d %v\n", i, err)
			os.Exit(1)
		}
	}
}

func streamCall(svc basis.BasisService, call int, name string, timeout time.Duration, opts []client.CallOption) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req := &basis.StreamRequest{Name: name, Count: int32(*streamLen), IntervalMs: int32(*streamInterval / time.Millisecond)}
	stream, err := svc.Stream(ctx, req, opts...)
	if err != nil {
		return err
	}
	defer stream.Close() // cancels the call when it has not ended
	// go-micro's generated Stream sends the request but never half-closes (protoc-gen-micro
	// has the CloseSend commented out: "currently only grpc support CloseSend"). A go-micro
	// server (and keel) reads the one request and carries on, but a plain grpc-js server
	// waits for the end of the request stream before it calls a server-streaming handler.
	// --no_close_send calls exactly as the generated code does.
	if !*noCloseSend {
		if err := stream.CloseSend(); err != nil {
			return err
		}
	}
	for got := 0; ; got++ {
		if *streamTake > 0 && got == *streamTake {
			fmt.Printf("CLOSED %d after %d\n", call, got)
			return nil
		}
		rsp, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Println(rsp.Msg)
	}
}
