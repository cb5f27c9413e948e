package inspect

// OwnerMethod says how ProcTable.Owner was filled.
type OwnerMethod string

const (
	// OwnersNone: the table was scanned without owners (ScanOptions.Sockets unset).
	OwnersNone OwnerMethod = ""
	// OwnersBPF: one BPF task_file iterator pass over every open file.
	OwnersBPF OwnerMethod = "bpf task_file iterator"
	// OwnersProc: a readlink of every /proc/PID/fd/N, as netstat does.
	OwnersProc OwnerMethod = "/proc fd walk"
	// OwnersLazy: /proc fd walks on demand (ResolveOwners), stopping once the
	// wanted inodes are found.
	OwnersLazy OwnerMethod = "/proc fd walk, only for the rows shown"
)

// OwnersEnv set to "proc" forces the /proc walk (benchmarks compare the two
// paths; also an escape hatch should the BPF path misbehave somewhere).
const OwnersEnv = "KUBECTL_NETSTAT_OWNERS"
