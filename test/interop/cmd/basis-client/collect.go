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
	collectLen = flag.Int("collect", 0, "call Basis.Collect (client streaming) instead of Hello, sending this many requests <request_name>-<i>; --count calls")
	chatLen    = flag.Int("chat", 0, "call Basis.Chat (bidi streaming) instead of Hello, sending this many requests <request_name>-<i>, each reply read before the next is sent; --count calls")
)

// collectCalls makes count Basis.Collect calls and prints each reply's msg on its own line;
// chatCalls makes count Basis.Chat calls and prints every reply. On the first error: "ERROR <call> <error>", exit 1.
func collectCalls(svc basis.BasisService, count int, name string, timeout time.Duration, opts []client.CallOption) {
	eachCall(count, func(call int) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		stream, err := svc.Collect(ctx, opts...)
		if err != nil {
			return err
		}
		defer stream.Close()
		for i := 1; i <= *collectLen; i++ {
			if err := stream.Send(&basis.Request{Name: fmt.Sprintf("%s-%d", name, i)}); err != nil {
				return err
			}
		}
		if err := stream.CloseSend(); err != nil {
			return err
		}
		rsp := new(basis.Response)
		if err := stream.RecvMsg(rsp); err != nil {
			return err
		}
		fmt.Println(rsp.Msg)
		return nil
	})
}

func chatCalls(svc basis.BasisService, count int, name string, timeout time.Duration, opts []client.CallOption) {
	eachCall(count, func(call int) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		stream, err := svc.Chat(ctx, opts...)
		if err != nil {
			return err
		}
		defer stream.Close()
		// One at a time: each reply proves the server answers while the call is still open.
		for i := 1; i <= *chatLen; i++ {
			if err := stream.Send(&basis.Request{Name: fmt.Sprintf("%s-%d", name, i)}); err != nil {
				return err
			}
			rsp, err := stream.Recv()
			if err != nil {
				return err
			}
			fmt.Println(rsp.Msg)
		}
		if err := stream.CloseSend(); err != nil {
			return err
		}
		if _, err := stream.Recv(); err != io.EOF {
			return fmt.Errorf("after the half-close: want the end of the stream, got %v", err)
		}
		return nil
	})
}

func eachCall(count int, call func(int) error) {
	for i := 1; i <= count; i++ {
		if err := call(i); err != nil {
			fmt.Fprintf(os.Stderr, "ERROR %d %v\n", i, err)
			os.Exit(1)
		}
	}
}
