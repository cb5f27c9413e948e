package inspect

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const devTestTitle = "Inter-|   Receive                                                |  Transmit\n" +
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"

func TestParseNetDev(t *testing.T) {
	counters := func(repl int, v string) string {
		f := strings.Fields("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16")
		if repl >= 0 {
			f[repl] = v
		}
		return strings.Join(f, " ")
	}
	all := DevStats{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	tests := []struct {
		name    string
		in      string
		want    []NetDev
		wantErr bool
	}{
		{name: "device", in: devTestTitle + "  eth0: " + counters(-1, "") + "\n", want: []NetDev{{"eth0", all}}},
		{name: "counter touching colon", in: devTestTitle + "eth0:" + counters(-1, "") + "\n", want: []NetDev{{"eth0", all}}},
		{name: "title only", in: devTestTitle, want: []NetDev{}},
		{name: "old format", in: "Inter-|   Receive\n face |packets errs drop fifo frame|packets errs drop fifo colls carrier\n", wantErr: true},
		{name: "no colon", in: devTestTitle + "eth0 " + counters(-1, "") + "\n", wantErr: true},
		{name: "empty name", in: devTestTitle + "   : " + counters(-1, "") + "\n", wantErr: true},
		{name: "15 counters", in: devTestTitle + "eth0: " + counters(-1, "")[2:] + "\n", wantErr: true},
		{name: "17 counters", in: devTestTitle + "eth0: " + counters(-1, "") + " 17\n", wantErr: true},
	}
	names := []string{"rx_bytes", "rx_packets", "rx_errs", "rx_drop", "rx_fifo", "rx_frame", "rx_compressed", "rx_multicast",
		"tx_bytes", "tx_packets", "tx_errs", "tx_drop", "tx_fifo", "tx_colls", "tx_carrier", "tx_compressed"}
	for i, n := range names {
		tests = append(tests, struct {
			name    string
			in      string
			want    []NetDev
			wantErr bool
		}{name: "bad " + n, in: devTestTitle + "eth0: " + counters(i, "-"+n) + "\n", wantErr: true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseNetDev(strings.NewReader(tc.in))
			if tc.wantErr {
				if !errors.Is(err, ErrParse) {
					t.Fatalf("err = %v, want ErrParse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func FuzzParseNetDev(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "dev", "dev"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(devTestTitle + "eth0:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ds, err := parseNetDev(bytes.NewReader(in))
		if err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("error does not wrap ErrParse: %v", err)
		}
		for _, d := range ds {
			if d.Name == "" || strings.Contains(d.Name, ":") {
				t.Fatalf("bad name %q", d.Name)
			}
		}
	})
}
