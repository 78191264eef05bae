//go:build tools

// Package tools pins the one binary this module builds (go build k8s.io/kubernetes/cmd/kube-apiserver),
// so go mod tidy keeps every module it needs in go.mod and go.sum.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver/app"
