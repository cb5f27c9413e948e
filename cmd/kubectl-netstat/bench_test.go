package main

import (
	"io"
	"os"
	"testing"
)

// The host-wide views, run in-process against this host as it is (bench/fleet.sh
// builds a fleet of namespaces to run them against). Profile with
//
//	go test -run '^$' -bench AllContainers -cpuprofile cpu.out ./cmd/kubectl-netstat/
func benchRun(b *testing.B, args ...string) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: reads every process's fds and enters every network namespace")
	}
	b.ReportAllocs()
	for b.Loop() {
		if code := run(args, IOStreams{Out: io.Discard, ErrOut: io.Discard}); code != 0 {
			b.Fatalf("kubectl-netstat %v: exit %d", args, code)
		}
	}
}

func BenchmarkAllContainersTulpn(b *testing.B) { benchRun(b, "--all-containers", "-tulpn") }
func BenchmarkAllContainersTanp(b *testing.B)  { benchRun(b, "--all-containers", "-tanp") }
func BenchmarkAllContainersTan(b *testing.B)   { benchRun(b, "--all-containers", "-tan") }
func BenchmarkAllContainersJSON(b *testing.B) {
	benchRun(b, "--all-containers", "-tanp", "--output", "json")
}
