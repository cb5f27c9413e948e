// Build module for the etcd binary used by the e2e/kube tests. It is a
// separate module so that etcd's dependency graph never enters the project's
// go.mod. hack/kube-bins.sh copies it into the cache, tidies it there and
// builds it; the version is pinned by the require line below.
module github.com/kubectl-netstat/kubectl-netstat/hack/kubebins/etcd

go 1.26.0

require go.etcd.io/etcd/server/v3 v3.6.16
