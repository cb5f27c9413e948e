package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSplitLog: records pass, stderr lines become diagnostics, a broken
// record or an endless line stops the read.
func TestSplitLog(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		wantOut  string
		wantDiag []string
		wantErr  string
	}{
		{name: "empty"},
		{name: "records", in: "{\"proto\":\"tcp\"}\n{\"proto\":\"udp\"}\n", wantOut: "{\"proto\":\"tcp\"}\n{\"proto\":\"udp\"}\n"},
		{name: "no final newline", in: `{"a":1}`, wantOut: "{\"a\":1}\n"},
		{name: "crlf and blanks", in: "{\"a\":1}\r\n\r\n  \n{\"b\":2}\n", wantOut: "{\"a\":1}\n{\"b\":2}\n"},
		{name: "stderr interleaved", in: "{\"a\":1}\nkubectl-netstat: warning: hidepid\n{\"b\":2}\n",
			wantOut: "{\"a\":1}\n{\"b\":2}\n", wantDiag: []string{"kubectl-netstat: warning: hidepid"}},
		{name: "only errors", in: "kubectl-netstat: --host-root /host: not found\n",
			wantDiag: []string{"kubectl-netstat: --host-root /host: not found"}},
		{name: "truncated record", in: "{\"a\":1}\n{\"proto\":\"tc\n", wantOut: "{\"a\":1}\n", wantErr: "line 2: not a complete JSON object"},
		{name: "two objects on a line", in: "{\"a\":1}{\"b\":2}\n", wantErr: "line 1: not a complete JSON object"},
		{name: "line too long", in: "{\"a\":\"" + strings.Repeat("x", MaxLine) + "\"}\n", wantErr: "line 1: bufio.Scanner: token too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			diag, err := SplitLog(strings.NewReader(tc.in), &out)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantOut, out.String()); diff != "" {
				t.Errorf("out (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantDiag, diag); diff != "" {
				t.Errorf("diag (-want +got):\n%s", diff)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("closed pipe") }

func TestSplitLogWriteError(t *testing.T) {
	if _, err := SplitLog(strings.NewReader("{}\n"), failWriter{}); err == nil || !strings.Contains(err.Error(), "closed pipe") {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

// FuzzSplitLog: whatever the log holds, only complete JSON objects reach
// out, one per line, and every diagnostic is one non-record line.
func FuzzSplitLog(f *testing.F) {
	for _, s := range []string{"", "{}\n", "{\"proto\":\"tcp\",\"local_port\":22}\nwarn\n", "{\n", "\r\n{\"a\":[1,2]}\r\n", "x{}\n{x}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		diag, err := SplitLog(strings.NewReader(in), &out)
		// Everything written is complete JSON objects, one per line.
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if l != "" && !(l[0] == '{' && json.Valid([]byte(l))) {
				t.Fatalf("wrote a non-object line %q (err %v)", l, err)
			}
		}
		for _, d := range diag {
			if d == "" || strings.Contains(d, "\n") || strings.HasPrefix(d, "{") {
				t.Fatalf("bad diagnostic %q", d)
			}
		}
	})
}
