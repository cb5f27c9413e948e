package output

import (
	"io"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// UnixHeader writes the two title lines of the UNIX socket table. -e and -o
// do not change this table; -p adds its column before Path.
func UnixHeader(w io.Writer, f Flags) error {
	b := make([]byte, 0, 128)
	b = append(b, "Active UNIX domain sockets "...)
	b = append(b, selectionTitle(f)...)
	b = append(b, "\nProto RefCnt Flags       Type       State         I-Node  "...)
	if f.Programs {
		b = append(b, programTitle...)
	}
	b = append(b, " Path\n"...)
	_, err := w.Write(b)
	return err
}

// UnixSelected reports whether netstat shows a UNIX socket: servers are
// unconnected sockets with the ACC flag (listeners); -a shows all, -l only
// servers, the default everything else (so unbound datagram sockets show).
// A socket without UnixInfo is never shown.
func UnixSelected(s *inspect.Socket, f Flags) bool {
	if s.Unix == nil {
		return false
	}
	if f.All {
		return true
	}
	return isUnixServer(s.Unix) == f.Listening
}

func isUnixServer(u *inspect.UnixInfo) bool {
	return u.State == inspect.UnixUnconnected && u.Flags&inspect.UnixAcceptCon != 0
}

// unixStateText is unix_do_one's state word.
func unixStateText(u *inspect.UnixInfo) string {
	switch u.State {
	case inspect.UnixFree:
		return "FREE"
	case inspect.UnixUnconnected:
		if u.Flags&inspect.UnixAcceptCon != 0 {
			return "LISTENING"
		}
		return ""
	case inspect.UnixConnecting:
		return "CONNECTING"
	case inspect.UnixConnected:
		return "CONNECTED"
	case inspect.UnixDisconnecting:
		return "DISCONNECTING"
	default:
		return "UNKNOWN"
	}
}

// unixPathText is the path as netstat shows it: sscanf's %s stops at the
// first white space, so "/tmp/with space.sock" prints as "/tmp/with".
func unixPathText(p string) string {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			return p[:i]
		}
	}
	return p
}

// AppendUnixRow appends one UNIX socket row, newline included, exactly as
// netstat 2.10 prints it. A socket without UnixInfo appends nothing. Unnamed
// sockets end in one space (the separator before an empty path).
func AppendUnixRow(dst []byte, s *inspect.Socket, f Flags) []byte {
	u := s.Unix
	if u == nil {
		return dst
	}
	if u.Protocol == 0 {
		dst = append(dst, "unix  "...)
	} else {
		dst = append(dst, "??    "...)
	}
	dst = appendUintL(dst, uint64(u.RefCnt), 6)
	dst = append(dst, ' ')
	start := len(dst)
	dst = append(dst, "[ "...)
	for _, w := range u.Flags.Words() {
		dst = append(dst, w...)
		dst = append(dst, ' ')
	}
	dst = append(dst, ']')
	dst = appendSpaces(dst, 11-(len(dst)-start))
	dst = append(dst, ' ')
	dst = appendPadL(dst, u.Type.String(), 10)
	dst = append(dst, ' ')
	dst = appendPadL(dst, unixStateText(u), 13)
	dst = append(dst, ' ')
	if u.NoInode {
		dst = append(dst, "-       "...)
	} else {
		dst = appendUintL(dst, s.Inode, 8)
	}
	if f.Programs {
		dst = append(dst, ' ')
		dst = appendProgram(dst, s.Owner, !u.NoInode && s.Inode != 0)
	}
	dst = append(dst, ' ')
	// Kernels without an Inode column predate 2.2; netstat would print an
	// unread inode variable as the path there, which cannot be reproduced,
	// so the path is printed.
	dst = append(dst, unixPathText(u.Path)...)
	return append(dst, '\n')
}
