package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

func ptr[T any](v T) *T { return &v }

var (
	testNetns     = &NetnsRecord{Inode: 4026532249, Kind: "pod", Names: []string{"/run/netns/cni-1"}}
	testContainer = &ContainerRecord{Runtime: "containerd", ID: "abc", Name: ptr("nginx"),
		Pod: &inspect.Pod{Namespace: "shop", Name: "web", UID: "u1"}}
	testAudit = AuditRecord{Netns: testNetns, Container: testContainer, PID: ptr(42), Program: ptr("nginx <&>"),
		Proto: "tcp6", Address: ptr("2001:db8::1"), Port: ptr(uint16(443)), Exposure: "specific",
		Verdict: &VerdictRecord{Allowed: false, Rule: ptr(1), Reason: "deny web"},
		Peers:   &[]PeerCountRecord{{Peer: "shop/api", Kind: ptr("pod"), Count: 3}, {Peer: "192.0.2.7", Count: 1}}, Node: "n1"}
)

// records holds one value of every record type, with its fields set so that
// a field lost or renamed on the way shows in the comparison.
func records() map[string]any {
	return map[string]any{
		"socket": SocketRecord{Proto: "tcp", RecvQ: ptr(uint64(1)), SendQ: ptr(uint64(2)),
			LocalAddress: ptr("192.0.2.1"), LocalPort: ptr(uint16(80)), ForeignAddress: ptr("198.51.100.2"), ForeignPort: ptr(uint16(5000)),
			State: "ESTABLISHED", UID: ptr(uint32(1000)), Inode: ptr(uint64(77)), PID: ptr(5), Program: ptr("srv"),
			Netns: testNetns, Container: testContainer,
			ForeignPeer: &PeerRecord{Kind: "pod", Namespace: ptr("shop"), Name: "api", PortName: ptr("http")},
			LocalPeer:   &PeerRecord{Kind: "node", Name: "n1"}, Time: "2026-12-01T17:00:00Z"},
		"socket-unix": SocketRecord{Proto: "unix", State: "LISTENING", Inode: ptr(uint64(9)),
			Unix: &UnixRecord{Type: "STREAM", Flags: []string{"ACC"}, Path: "@abstract with space"}},
		"route4": Route4Record{Family: "inet", Route4: &inspect.Route4{Iface: "eth0", Destination: netip.MustParseAddr("0.0.0.0"),
			Gateway: netip.MustParseAddr("192.0.2.1"), Genmask: netip.MustParseAddr("0.0.0.0"), Flags: 3, Metric: 4294967295},
			Netns: testNetns, Container: testContainer},
		"route6": Route6Record{Family: "inet6", Route6: &inspect.Route6{Destination: netip.MustParseAddr("2001:db8::"), DstLen: 32,
			Source: netip.MustParseAddr("::"), NextHop: netip.MustParseAddr("::"), Metric: 256, Flags: 1, Iface: "eth0"}, Netns: testNetns},
		"interface": InterfaceRecord{Interface: &inspect.Interface{Name: "eth0", MTU: 1500, Flags: 0x1043,
			Stats: &inspect.DevStats{RxBytes: 10, RxPackets: 1}}, Netns: testNetns, Time: "2026-12-01T17:00:00Z"},
		"stats": StatsRecord{Statistics: map[string]map[string]uint64{"Tcp": {"ActiveOpens": 3, "InSegs": 9}, "Udp": {}},
			Netns: testNetns, Container: testContainer},
		"namespace": NamespaceRecord{Inode: 1, Kind: "host", Names: []string{}, Containers: []*ContainerRecord{testContainer},
			PIDs: []int{1, 2}, Sockets: ptr(4)},
		"container": ContainerListRecord{ContainerRecord: testContainer, Sandbox: true, PIDs: []int{7}, NetnsInode: 4026532249, Confidence: "state"},
		"audit":     testAudit,
		"audit-unix": AuditRecord{Proto: "unix", UnixPath: ptr("/run/x.sock"), Exposure: "local", HostNetwork: true,
			Netns: &NetnsRecord{Inode: 1, Kind: "host", Names: []string{}}},
		"audit-event": AuditEventRecord{Time: "2026-12-01T17:00:00Z", Event: EventClosed, AuditRecord: testAudit},
		"finding": FindingRecord{Finding: "undeclared", Namespace: "shop", Pod: "web", Container: ptr("nginx"),
			Proto: "TCP", Port: 443, Listener: &testAudit},
		"finding-not-listening": FindingRecord{Finding: "not-listening", Namespace: "shop", Pod: "web", Proto: "UDP", Port: 53},
	}
}

// TestRoundTrip: every record type survives both paths it travels.
//   - typed: encoded, decoded into its own type, equal to the original;
//   - agent: an agent's NDJSON line, read back as a frame and written into
//     the client's -o json array, gives the bytes -o json gives for the
//     record itself (so --method agent prints what --method local prints).
func TestRoundTrip(t *testing.T) {
	for name, rec := range records() {
		t.Run(name, func(t *testing.T) {
			var line bytes.Buffer
			if err := WriteNDJSON(&line, rec); err != nil {
				t.Fatal(err)
			}
			if bytes.Count(line.Bytes(), []byte("\n")) != 1 || strings.Contains(line.String(), `\u003c`) {
				t.Fatalf("NDJSON line is not one unescaped line: %q", line.String())
			}

			back := reflect.New(reflect.TypeOf(rec))
			if err := json.Unmarshal(line.Bytes(), back.Interface()); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(rec, back.Elem().Interface(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
				t.Errorf("typed round trip (-want +got):\n%s", d)
			}

			f, err := DecodeFrame(line.Bytes())
			if err != nil || f.IsLine {
				t.Fatalf("DecodeFrame = %+v, %v", f, err)
			}
			var viaAgent, local bytes.Buffer
			var a Array
			if err := a.Add(&viaAgent, f.Record); err != nil {
				t.Fatal(err)
			}
			if err := a.Close(&viaAgent); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&local, []any{rec}); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(local.String(), viaAgent.String()); d != "" {
				t.Errorf("agent path (-local +agent):\n%s", d)
			}
		})
	}
}

// TestInterfaceDetailAgentPath: -ie records carry inspect.HWAddr, which
// encodes as text only, so they travel raw (as every agent record does) and
// must still come out byte for byte.
func TestInterfaceDetailAgentPath(t *testing.T) {
	rec := InterfaceRecord{Interface: &inspect.Interface{Name: "veth0", MTU: 1500,
		Detail: &inspect.IfaceDetail{HWType: 1, HWAddr: inspect.HWAddr{2, 0, 0x5e, 0, 0x53, 1}, TxQueueLen: 1000,
			Addr: netip.MustParseAddr("192.0.2.9")}}}
	var line, local, viaAgent bytes.Buffer
	if err := WriteNDJSON(&line, rec); err != nil {
		t.Fatal(err)
	}
	f, err := DecodeFrame(line.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&viaAgent, []json.RawMessage{f.Record}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&local, []InterfaceRecord{rec}); err != nil {
		t.Fatal(err)
	}
	if local.String() != viaAgent.String() || !strings.Contains(local.String(), `"hw_addr": "02:00:5e:00:53:01"`) {
		t.Errorf("local:\n%s\nvia agent:\n%s", local.String(), viaAgent.String())
	}
}

func TestWriteJSONLayout(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON[SocketRecord](&b, nil); err != nil {
		t.Fatal(err)
	}
	if b.String() != "[]\n" {
		t.Errorf("empty: %q", b.String())
	}
	b.Reset()
	recs := []NetnsRecord{{Inode: 1, Kind: "host", Names: []string{}}, {Inode: 2, Kind: "named", Names: []string{"/run/netns/a<b>"}}}
	if err := WriteJSON(&b, recs); err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "inode": 1,
    "kind": "host",
    "names": []
  },
  {
    "inode": 2,
    "kind": "named",
    "names": [
      "/run/netns/a<b>"
    ]
  }
]
`
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	// Array element by element (one namespace at a time) gives the same bytes.
	var s bytes.Buffer
	var a Array
	for _, r := range recs {
		if err := a.Add(&s, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(&s); err != nil {
		t.Fatal(err)
	}
	if s.String() != want || a.Len() != 2 {
		t.Errorf("Array: %d elements\n%s", a.Len(), s.String())
	}
}

// TestLineWriterReader: text written through a LineWriter (split at odd
// places, with characters JSON escapes) reads back line for line, records
// between them stay records, and lines that are no frame are skipped.
func TestLineWriterReader(t *testing.T) {
	text := "Active Internet connections (only servers)\n" +
		"tcp        0      0 127.0.0.1:631  0.0.0.0:*  LISTEN  \"q\" <&> \\ \t\x01é\n" +
		"\n"
	var stream bytes.Buffer
	lw := NewLineWriter(&stream)
	for _, part := range []string{text[:5], text[5:50], text[50:]} {
		if n, err := lw.Write([]byte(part)); err != nil || n != len(part) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if _, err := lw.Write([]byte("held")); err != nil { // no newline: not sent yet
		t.Fatal(err)
	}
	stream.WriteString("not json, from the runtime\n")
	if err := WriteNDJSON(&stream, testAudit); err != nil {
		t.Fatal(err)
	}
	stream.WriteString("[1,2]\nnull\n{\"line\":5}\n")

	rd := NewReader(&stream)
	var lines []string
	var recs []AuditRecord
	for rd.Next() {
		f := rd.Frame()
		if f.IsLine {
			lines = append(lines, f.Line)
			continue
		}
		rec, err := DecodeAudit(f.Record)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(strings.Split(strings.TrimSuffix(text, "\n"), "\n"), lines); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]AuditRecord{testAudit}, recs); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
}

func TestReaderTooLong(t *testing.T) {
	rd := NewReader(strings.NewReader(`{"line":"` + strings.Repeat("x", MaxLine) + "\"}\n"))
	if rd.Next() {
		t.Fatal("a line over MaxLine was read")
	}
	if err := rd.Err(); err == nil {
		t.Fatal("no error for a line over MaxLine")
	}
}

func TestDecodeFrameErrors(t *testing.T) {
	for _, in := range []string{"", "x", "[]", "null", `"line"`, `{"line":1}`, `{"line":"a"`} {
		if f, err := DecodeFrame([]byte(in)); err == nil {
			t.Errorf("DecodeFrame(%q) = %+v, want an error", in, f)
		}
	}
	if _, err := DecodeFrame([]byte("[]")); !errors.Is(err, ErrNotObject) {
		t.Errorf("DecodeFrame([]) error %v, want ErrNotObject", err)
	}
	if _, err := DecodeAudit([]byte(`{"proto":5}`)); err == nil {
		t.Error("DecodeAudit accepted a number for proto")
	}
}

// FuzzDecodeFrame: any line decodes without panicking; a text frame
// re-encodes to a line that decodes to the same text, and a record is valid
// JSON that a JSON array accepts.
func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte(`{"line":"tcp  0  0 127.0.0.1:631  0.0.0.0:*  LISTEN"}`))
	f.Add([]byte(`{"line":"\u00e9\t\\"}`))
	f.Add([]byte(`{"proto":"tcp","local_port":80,"netns":{"inode":1,"kind":"host","names":[]}}`))
	f.Add([]byte(`{"line":"a","time":"x"}`))
	f.Add([]byte(`[1]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			return
		}
		if fr.IsLine {
			var buf bytes.Buffer
			if err := WriteNDJSON(&buf, LineRecord{Line: fr.Line}); err != nil {
				t.Fatal(err)
			}
			again, err := DecodeFrame(buf.Bytes())
			if err != nil || !again.IsLine || again.Line != fr.Line {
				t.Fatalf("line %q re-encoded as %q decodes to %+v, %v", fr.Line, buf.String(), again, err)
			}
			return
		}
		if !json.Valid(fr.Record) {
			t.Fatalf("record %q is not valid JSON", fr.Record)
		}
		var a Array
		if err := a.Add(&bytes.Buffer{}, fr.Record); err != nil {
			t.Fatalf("Array.Add(%q): %v", fr.Record, err)
		}
		_, _ = DecodeAudit(fr.Record)
	})
}
