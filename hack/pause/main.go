// Command pause is the pod sandbox ("pause") image's only program for the
// test node's containerd sandbox_image: it holds the pod's namespaces and
// exits on SIGINT/SIGTERM. The upstream image cannot be pulled here.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	<-c
}
