//go:build !linux

package inspect

// Socket arguments: never used, nsenter.SocketAt is unsupported here.
const (
	afInet, sockDgram, afNetlink, sockRaw, netlinkSockDiag = 0, 0, 0, 0, 0
)

func statIno(string) (uint64, bool) { return 0, false }
func nsfsIno(string) (uint64, bool) { return 0, false }
func closeFd(int) error             { return ErrNodeLocal }

// IsProcfs: there is no procfs here.
func IsProcfs(string) bool { return false }
