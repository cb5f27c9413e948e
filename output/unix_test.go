package output

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// loadUnix reads the A.13 /proc/net/unix capture with a minimal parser of
// its own (the inspect reader is tested on its own) and gives owners as in
// A.12: python3 (10987) except inodes 134317 and 134320.
func loadUnix(t *testing.T) []inspect.Socket {
	t.Helper()
	var out []inspect.Socket
	s := bufio.NewScanner(strings.NewReader(readGolden(t, "a13_proc_net_unix.txt")))
	s.Scan() // title
	for s.Scan() {
		f := strings.Fields(s.Text())
		hex := func(i int) uint64 {
			v, err := strconv.ParseUint(f[i], 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		ino, err := strconv.ParseUint(f[6], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		u := &inspect.UnixInfo{RefCnt: uint32(hex(1)), Protocol: uint32(hex(2)), Flags: inspect.UnixFlags(hex(3)),
			Type: inspect.UnixType(hex(4)), State: uint8(hex(5))}
		if len(f) > 7 {
			u.Path = strings.Join(f[7:], " ") // whole path, as sock_diag would give it
		}
		sk := inspect.Socket{Proto: inspect.ProtoUnix, Inode: ino, Unix: u}
		switch ino {
		case 0:
		case 134317:
			sk.Owner = &inspect.Process{PID: 11643, Name: "python3.11"}
		case 134320:
			sk.Owner = &inspect.Process{PID: 11644, Name: "python3.11"}
		default:
			sk.Owner = &inspect.Process{PID: 10987, Name: "python3"}
		}
		out = append(out, sk)
	}
	return out
}

func renderUnix(t *testing.T, socks []inspect.Socket, f Flags) string {
	t.Helper()
	var b bytes.Buffer
	if err := UnixHeader(&b, f); err != nil {
		t.Fatal(err)
	}
	rw := NewRowWriter(&b, f, nil)
	for i := range socks {
		if UnixSelected(&socks[i], f) {
			if err := rw.Unix(&socks[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.String()
}

func unixPart(s string) string {
	if i := strings.Index(s, "Active UNIX"); i >= 0 {
		return s[i:]
	}
	return s
}

func TestUnixAppendixA(t *testing.T) {
	socks := loadUnix(t)
	cases := []struct {
		name   string
		flags  Flags
		golden string
	}{
		{"A.1 -a", Flags{All: true}, "a01_a_names.golden"},
		{"A.2 -an", numeric(Flags{All: true}), "a02_an.golden"},
		{"A.10 -x", Flags{}, "a10_x.golden"},
		{"A.10 -x -e -o change nothing", Flags{Extend: 2, Timers: true}, "a10_x.golden"},
		{"A.11 -xl", Flags{Listening: true}, "a11_xl.golden"},
		{"A.12 -xap", Flags{All: true, Programs: true}, "a12_xap.golden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := renderUnix(t, socks, tc.flags)
			want := unixPart(readGolden(t, tc.golden))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestUnixRowCases(t *testing.T) {
	cases := []struct {
		name  string
		s     inspect.Socket
		flags Flags
		want  string
	}{
		{"non-zero protocol prints ??", inspect.Socket{Inode: 5, Unix: &inspect.UnixInfo{RefCnt: 2, Protocol: 1, Type: 1, State: 3}}, Flags{},
			"??    2      [ ]         STREAM     CONNECTED     5        \n"},
		{"all flags, unknown type and state", inspect.Socket{Inode: 5, Unix: &inspect.UnixInfo{RefCnt: 1234567, Flags: inspect.UnixAcceptCon | inspect.UnixWaitData | inspect.UnixNoSpace, Type: 9, State: 9}}, Flags{},
			"unix  1234567 [ ACC W N ] UNKNOWN    UNKNOWN       5        \n"},
		{"free and disconnecting", inspect.Socket{Inode: 5, Unix: &inspect.UnixInfo{Type: 2, State: 0}}, Flags{},
			"unix  0      [ ]         DGRAM      FREE          5        \n"},
		{"disconnecting seqpacket", inspect.Socket{Inode: 123456789, Unix: &inspect.UnixInfo{Type: 5, State: 4, Path: "/x"}}, Flags{},
			"unix  0      [ ]         SEQPACKET  DISCONNECTING 123456789 /x\n"},
		{"no inode column", inspect.Socket{Unix: &inspect.UnixInfo{Type: 1, State: 3, NoInode: true}, Owner: &inspect.Process{PID: 1, Name: "x"}}, Flags{Programs: true},
			"unix  0      [ ]         STREAM     CONNECTED     -        -                    \n"},
		{"path cut at a tab", inspect.Socket{Inode: 1, Unix: &inspect.UnixInfo{Type: 1, State: 1, Path: "/a\tb"}}, Flags{},
			"unix  0      [ ]         STREAM                   1        /a\n"},
		{"no unix info renders nothing", inspect.Socket{Proto: inspect.ProtoTCP}, Flags{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteUnixRow(&b, &tc.s, tc.flags); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestUnixHeader(t *testing.T) {
	cases := []struct {
		name  string
		flags Flags
		want  string
	}{
		{"default", Flags{}, "Active UNIX domain sockets (w/o servers)\nProto RefCnt Flags       Type       State         I-Node   Path\n"},
		{"-l", Flags{Listening: true}, "Active UNIX domain sockets (only servers)\nProto RefCnt Flags       Type       State         I-Node   Path\n"},
		{"-a -e -o", Flags{All: true, Extend: 1, Timers: true}, "Active UNIX domain sockets (servers and established)\nProto RefCnt Flags       Type       State         I-Node   Path\n"},
		{"-p", Flags{Programs: true}, "Active UNIX domain sockets (w/o servers)\nProto RefCnt Flags       Type       State         I-Node   PID/Program name     Path\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := UnixHeader(&b, tc.flags); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}
