#!/usr/bin/env bash
# Regenerates basis.pb.go and basis.pb.micro.go from basis.proto (next to this file:
# examples/basis/basis.proto plus the server-streaming Stream method).
# The output is checked in, so building the interop peers needs no protoc; run this
# only when the proto changes, from anywhere: test/interop/basis/generate.sh.
# Needs protoc (Debian: protobuf-compiler; the checked-in code says which version made
# it: 3.21.12). The two plugins are built from the versions test/interop/go.mod pins
# (google.golang.org/protobuf v1.36.6 for protoc-gen-go, go-micro.dev/v5 v5.12.0 for
# protoc-gen-micro), so running this on an unchanged proto reproduces the checked-in
# files byte for byte; building them inside the module is `go install <pkg>@<go.mod's
# version>` without a second place to keep the versions in step.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
export GOFLAGS='-mod=mod -buildvcs=false' GOTOOLCHAIN=local
(cd "$HERE/.." &&
  go build -o "$BIN/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go &&
  go build -o "$BIN/protoc-gen-micro" go-micro.dev/v5/cmd/protoc-gen-micro)
M=Mbasis.proto=keel.test/interop/basis
PATH=$BIN:$PATH protoc -I "$HERE" \
  --go_out="$HERE" --go_opt=paths=source_relative --go_opt=$M \
  --micro_out="$HERE" --micro_opt=paths=source_relative --micro_opt=$M \
  basis.proto
