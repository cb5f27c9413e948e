package output

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

func TestSocketRecordJSON(t *testing.T) {
	ns := &inspect.Netns{Inode: 4026532249, Kind: inspect.NetnsPod, Names: []string{"/run/netns/cni-1"}}
	c := &inspect.Container{Runtime: inspect.RuntimeContainerd, ID: "abc", Name: "nginx",
		Pod: &inspect.Pod{Namespace: "default", Name: "web", UID: "u1"}}
	cases := []struct {
		name string
		s    inspect.Socket
		ns   *inspect.Netns
		c    *inspect.Container
		want string
	}{
		{
			name: "tcp6 v4-mapped with owner",
			s: inspect.Socket{Proto: inspect.ProtoTCP6, Local: netip.MustParseAddrPort("[::ffff:127.0.0.1]:443"),
				Remote: netip.MustParseAddrPort("[::ffff:127.0.0.1]:56304"), State: inspect.TCPEstablished,
				RecvQ: 1, SendQ: 2, UID: 1000, Inode: 77, Owner: &inspect.Process{PID: 5, Name: "srv<&>"}},
			ns: ns, c: c,
			want: `{"proto":"tcp6","recv_q":1,"send_q":2,"local_address":"127.0.0.1","local_port":443,"foreign_address":"127.0.0.1","foreign_port":56304,"state":"ESTABLISHED","uid":1000,"inode":77,"pid":5,"program":"srv<&>","unix":null,"netns":{"inode":4026532249,"kind":"pod","names":["/run/netns/cni-1"]},"container":{"runtime":"containerd","id":"abc","name":"nginx","image":null,"pod":{"namespace":"default","name":"web","uid":"u1"},"host_network":false},"foreign_peer":null,"local_peer":null}` + "\n",
		},
		{
			name: "udp unconnected, no owner, no netns",
			s: inspect.Socket{Proto: inspect.ProtoUDP6, Local: netip.MustParseAddrPort("[::]:53"),
				Remote: netip.MustParseAddrPort("[::]:0"), State: inspect.TCPClose, Inode: 9},
			want: `{"proto":"udp6","recv_q":0,"send_q":0,"local_address":"::","local_port":53,"foreign_address":"::","foreign_port":0,"state":"","uid":0,"inode":9,"pid":null,"program":null,"unix":null,"netns":null,"container":null,"foreign_peer":null,"local_peer":null}` + "\n",
		},
		{
			name: "raw state is the number",
			s: inspect.Socket{Proto: inspect.ProtoRaw, Local: netip.MustParseAddrPort("0.0.0.0:1"),
				Remote: netip.MustParseAddrPort("0.0.0.0:0"), State: 7, Inode: 3, Owner: &inspect.Process{PID: 1, Name: "x"}},
			ns:   &inspect.Netns{Inode: 1, Kind: inspect.NetnsHost},
			want: `{"proto":"raw","recv_q":0,"send_q":0,"local_address":"0.0.0.0","local_port":1,"foreign_address":"0.0.0.0","foreign_port":0,"state":"7","uid":0,"inode":3,"pid":1,"program":"x","unix":null,"netns":{"inode":1,"kind":"host","names":[]},"container":null,"foreign_peer":null,"local_peer":null}` + "\n",
		},
		{
			name: "unix listener keeps the whole path",
			s: inspect.Socket{Proto: inspect.ProtoUnix, Inode: 130859, Owner: &inspect.Process{PID: 2, Name: "py"},
				Unix: &inspect.UnixInfo{RefCnt: 2, Flags: inspect.UnixAcceptCon, Type: 1, State: 1, Path: "/tmp/with space.sock"}},
			want: `{"proto":"unix","recv_q":null,"send_q":null,"local_address":null,"local_port":null,"foreign_address":null,"foreign_port":null,"state":"LISTENING","uid":null,"inode":130859,"pid":2,"program":"py","unix":{"type":"STREAM","flags":["ACC"],"path":"/tmp/with space.sock"},"netns":null,"container":null,"foreign_peer":null,"local_peer":null}` + "\n",
		},
		{
			name: "unix inode 0 has no owner",
			s: inspect.Socket{Proto: inspect.ProtoUnix, Owner: &inspect.Process{PID: 2, Name: "py"},
				Unix: &inspect.UnixInfo{Type: 1, State: 2}},
			want: `{"proto":"unix","recv_q":null,"send_q":null,"local_address":null,"local_port":null,"foreign_address":null,"foreign_port":null,"state":"CONNECTING","uid":null,"inode":0,"pid":null,"program":null,"unix":{"type":"STREAM","flags":[],"path":""},"netns":null,"container":null,"foreign_peer":null,"local_peer":null}` + "\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := wire.WriteNDJSON(&b, NewSocketRecord(&tc.s, tc.ns, tc.c)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}
