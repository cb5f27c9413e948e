package output

import (
	"net/netip"
	"strconv"
	"strings"

	"io"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// WideRow is one socket of the flat --output wide table with its tags.
type WideRow struct {
	Socket    *inspect.Socket
	Netns     *inspect.Netns
	Container *inspect.Container
	// Foreign is the cluster name of the remote end, nil when unknown.
	Foreign *inspect.Peer
}

// WideWriter streams the wide table one batch (a namespace) at a time, so
// memory is bounded by the largest batch. Column widths are fixed by the
// first batch and only grow: a later, wider cell widens its column from its
// batch on, as kubectl get --watch does. A single batch gives exactly the
// table of WriteTable.
type WideWriter struct {
	w      io.Writer
	f      Flags
	n      Names
	header []string
	widths []int
	cells  [][]string
	buf    []byte
	headed bool
}

// NewWideWriter starts a wide table on w; nothing is written before Flush.
func NewWideWriter(w io.Writer, f Flags, n Names) *WideWriter {
	if n == nil {
		n = NoNames{}
	}
	header := []string{"PROTO", "RECV-Q", "SEND-Q", "LOCAL ADDRESS", "FOREIGN ADDRESS", "STATE"}
	if f.Extend > 0 {
		header = append(header, "USER", "INODE")
	}
	if f.Programs {
		header = append(header, "PID/PROGRAM")
	}
	if f.Timers {
		header = append(header, "TIMER")
	}
	header = append(header, "FOREIGN", "NETNS", "RUNTIME", "NAMESPACE", "POD", "CONTAINER")
	return &WideWriter{w: w, f: f, n: n, header: header, widths: make([]int, len(header))}
}

// Add renders one row into the current batch.
func (ww *WideWriter) Add(r WideRow) {
	f, n := ww.f, ww.n
	s := r.Socket
	row := make([]string, 0, len(ww.header))
	if s.Proto == inspect.ProtoUnix {
		u := s.Unix
		path := unixPathText(u.Path)
		if path == "" {
			path = "-"
		}
		row = append(row, s.Proto.String(), "-", "-", path, u.Type.String(), dash(unixStateText(u)))
	} else {
		svc := serviceProto(s.Proto)
		row = append(row, s.Proto.String(), strconv.FormatUint(s.RecvQ, 10), strconv.FormatUint(s.SendQ, 10),
			wideAddr(s.Local, svc, f, n), wideAddr(s.Remote, svc, f, n), dash(wideState(s)))
	}
	if f.Extend > 0 {
		user := ""
		if !f.NumericUsers {
			user = n.User(s.UID)
		}
		if user == "" {
			user = strconv.FormatUint(uint64(s.UID), 10)
		}
		row = append(row, user, strconv.FormatUint(s.Inode, 10))
	}
	if f.Programs {
		row = append(row, strings.TrimRight(string(appendProgram(nil, s.Owner, s.Inode != 0)), " "))
	}
	if f.Timers {
		row = append(row, string(appendTimer(nil, s)))
	}
	netns, runtime, ns, pod, ctr := "-", "-", "-", "-", "-"
	if r.Netns != nil {
		netns = strconv.FormatUint(r.Netns.Inode, 10)
	}
	if c := r.Container; c != nil {
		runtime = c.Runtime.String()
		if c.Pod != nil {
			ns, pod = dash(c.Pod.Namespace), dash(c.Pod.Name)
		}
		ctr = c.Name
		if ctr == "" {
			ctr = shortID(c.ID)
		}
	}
	row = append(row, PeerText(r.Foreign), netns, runtime, ns, pod, ctr)
	ww.cells = append(ww.cells, row)
}

// Flush writes the batch (and, the first time, the header) and empties it.
func (ww *WideWriter) Flush() error {
	if !ww.headed {
		ww.widen(ww.header)
	}
	for _, row := range ww.cells {
		ww.widen(row)
	}
	if !ww.headed {
		ww.headed = true
		if err := ww.line(ww.header); err != nil {
			return err
		}
	}
	for _, row := range ww.cells {
		if err := ww.line(row); err != nil {
			return err
		}
	}
	clear(ww.cells)
	ww.cells = ww.cells[:0]
	return nil
}

func (ww *WideWriter) widen(row []string) {
	for i, c := range row {
		ww.widths[i] = max(ww.widths[i], displayWidth(c))
	}
}

// line writes cells padded to their column width plus three spaces
// (WriteTable's layout), without trailing spaces.
func (ww *WideWriter) line(row []string) error {
	ww.buf = appendAligned(ww.buf[:0], ww.widths, row)
	_, err := ww.w.Write(ww.buf)
	return err
}

func wideAddr(ap netip.AddrPort, svc string, f Flags, n Names) string {
	host := appendHost(nil, ap.Addr(), f.NumericHosts, n)
	port := appendPort(nil, ap.Port(), svc, f.NumericPorts, n)
	return string(host) + ":" + string(port)
}

func wideState(s *inspect.Socket) string {
	switch {
	case s.Proto.IsTCP():
		return tcpStateText(s.State)
	case s.Proto.IsRaw():
		return strconv.FormatUint(uint64(s.State), 10)
	}
	return udpStateText(s.State)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// PodText is a pod as NAMESPACE/NAME for tables and "# netns" lines, with
// "-" for each part not known (a pod seen only by its cgroup has neither),
// and "-" alone for no pod.
func PodText(p *inspect.Pod) string {
	if p == nil || p.Namespace == "" && p.Name == "" {
		return "-"
	}
	return dash(p.Namespace) + "/" + dash(p.Name)
}

// ContainerPodText is c's pod as the tables show it: PodText for Kubernetes
// pods, the bare name for Podman pods, which have no namespace to print.
func ContainerPodText(c *inspect.Container) string {
	if c == nil {
		return "-"
	}
	if c.Runtime == inspect.RuntimePodman && c.Pod != nil && c.Pod.Namespace == "" {
		return dash(c.Pod.Name)
	}
	return PodText(c.Pod)
}

// shortID is the 12-character prefix kubectl and docker show of a hex
// container ID; free-text IDs (LXC, nspawn, runc names) are shown whole, as
// a cut one would name nothing.
func shortID(id string) string {
	if len(id) > 12 && isHex(id) {
		return id[:12]
	}
	return id
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
