//go:build tools

// Package tools pins the control-plane binaries the client conformance suite
// runs against; go.mod and go.sum record their exact versions.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
