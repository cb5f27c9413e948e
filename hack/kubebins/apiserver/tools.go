//go:build tools

// Package tools pins the Kubernetes commands the e2e tests run (a real
// apiserver, a real kubelet node and a real kubectl driving the plugin), so
// `go mod tidy` keeps everything their build needs.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
