//go:build !linux

package inspect

// DiagDump needs Linux's sock_diag; readers fall back to /proc/net files.
func DiagDump(fd int, p Proto, states uint32, out []Socket) ([]Socket, error) {
	return out, ErrDiagUnsupported
}

// DiagDumpTCP needs Linux's sock_diag.
func DiagDumpTCP(fd int, states uint32, out []Socket) ([]Socket, error) {
	return out, ErrDiagUnsupported
}
