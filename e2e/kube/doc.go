// Package kubee2e tests kube/ and the kubectl-netstat binary against a real
// kube-apiserver and etcd started on loopback by the test binary itself.
//
// The binaries come from hack/kube-bins.sh, which builds them once into
// ${KNS_CACHE:-/var/cache/kubectl-netstat}/bin. When they are missing the
// tests skip with a printed reason, unless KNS_KUBE_E2E is set (as .ci/run
// does after calling hack/kube-bins.sh), in which case they fail.
//
// No controller-manager, scheduler or kubelet runs: pods are bound with
// spec.nodeName and their status is written by the test, so resolution,
// the agent pod object, its deletion and RBAC refusals are all real API
// behaviour, while agent pods never start, except on the virtual-kubelet node of vk_test.go, which runs them as local processes and serves their logs.
package kubee2e
