package inspect

import "errors"

// sock_diag results and state masks, shared with the non-Linux build (where
// every dump is ErrDiagUnsupported) so callers build everywhere.

// ErrDumpInterrupted means the kernel's table changed during a dump; the
// returned rows may be incomplete.
var ErrDumpInterrupted = errors.New("sock_diag dump interrupted")

// ErrDiagUnsupported means the kernel has no sock_diag handler for the table
// (e.g. raw_diag not loaded); callers fall back to /proc/net.
var ErrDiagUnsupported = errors.New("sock_diag not supported for this table")

// StatesAll selects every TCP state, including request sockets
// (TCP_NEW_SYN_RECV, 12), but not bit 13: from Linux 6.6 that asks for bound,
// unlistened sockets (TCPF_BOUND_INACTIVE), which /proc/net/tcp and netstat
// never show.
const StatesAll = uint32(1)<<13 - 1

// TCP state masks netstat's -l and default modes map to.
const (
	StatesListen    = uint32(1) << TCPListen
	StatesNotListen = StatesAll &^ StatesListen
	// UDP and raw sockets use TCP_ESTABLISHED when connected and TCP_CLOSE when not.
	StatesUDPConnected   = uint32(1) << TCPEstablished
	StatesUDPUnconnected = uint32(1) << TCPClose
)
