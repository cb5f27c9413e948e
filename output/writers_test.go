package output

// Row-at-a-time and whole-table forms of the streaming writers, for tests
// and benchmarks: the command streams through RowWriter and WideWriter.

import (
	"io"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// WriteInetRow writes one Internet socket row (see AppendInetRow). A
// RowWriter avoids the per-row buffer.
func WriteInetRow(w io.Writer, s *inspect.Socket, f Flags, n Names) error {
	_, err := w.Write(AppendInetRow(make([]byte, 0, 160), s, f, n))
	return err
}

// WriteUnixRow writes one UNIX socket row (see AppendUnixRow).
func WriteUnixRow(w io.Writer, s *inspect.Socket, f Flags) error {
	_, err := w.Write(AppendUnixRow(make([]byte, 0, 128), s, f))
	return err
}

// WriteWide renders every namespace's sockets as one table: netstat's
// columns (addresses never truncated, as with -W) plus FOREIGN (the remote
// end's cluster name), NETNS, RUNTIME, NAMESPACE, POD and CONTAINER.
// Columns are as wide as their widest cell.
func WriteWide(w io.Writer, rows []WideRow, f Flags, n Names) error {
	ww := NewWideWriter(w, f, n)
	for _, r := range rows {
		ww.Add(r)
	}
	return ww.Flush()
}
