package bpfowner

// The generated Go and objects are committed; CI regenerates them and fails on a difference.
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang -strip llvm-strip -target bpfel,bpfeb -output-suffix _linux -type record owner owners.bpf.c -- -O2 -Wall -Werror
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang -strip llvm-strip -target bpfel,bpfeb -output-suffix _linux -type nsrec mounts mounts.bpf.c -- -O2 -Wall -Werror
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang -strip llvm-strip -target bpfel,bpfeb -output-suffix _linux -type netrec -type sockrec socks socks.bpf.c -- -O2 -Wall -Werror
