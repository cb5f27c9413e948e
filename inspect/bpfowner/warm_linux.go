package bpfowner

import "os"

// Warm parses the kernel's BTF on its own goroutine where a load can
// succeed (root), so that the first Load finds it parsed: the parse and
// the type graph the programs' CO-RE relocations walk (rooted at
// task_struct) cost about 25 ms, which a caller overlaps with other work.
func Warm() {
	if os.Geteuid() != 0 {
		return
	}
	go func() {
		spec, err := kernelTypes.Kernel()
		if err == nil {
			spec.AnyTypesByName("task_struct")
		}
	}()
}
