package runtime

// Paths is what the readers need of inspect.FS: every path they open is
// built through it, below the proc root or the host root.
type Paths interface {
	// Proc joins parts below the proc root: Proc("1234", "cmdline").
	Proc(parts ...string) string
	// Host joins an absolute host path below the host root.
	Host(parts ...string) string
	// HostRel turns a path below the host root back into the host's own path.
	HostRel(p string) string
}
