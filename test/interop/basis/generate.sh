#!/usr/bin/env bash
# Regenerates basis.pb.go and basis.pb.micro.go from examples/basis/basis.proto.
# The output is checked in, so building the interop peers needs no protoc; run this
# only when the proto changes. Needs protoc (Debian: protobuf-compiler). The two
# plugins are built from the versions test/interop/go.mod pins
# (google.golang.org/protobuf for protoc-gen-go, go-micro.dev/v5 for protoc-gen-micro).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
export GOFLAGS='-mod=mod -buildvcs=false' GOTOOLCHAIN=local
(cd "$HERE/.." &&
  go build -o "$BIN/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go &&
  go build -o "$BIN/protoc-gen-micro" go-micro.dev/v5/cmd/protoc-gen-micro)
M=Mbasis.proto=keel.test/interop/basis
PATH=$BIN:$PATH protoc -I "$ROOT/examples/basis" \
  --go_out="$HERE" --go_opt=paths=source_relative --go_opt=$M \
  --micro_out="$HERE" --micro_opt=paths=source_relative --micro_opt=$M \
  basis.proto
