// Command etcd is etcd's own main, built from its Go module so the e2e tests
// have a real etcd without a download site.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
