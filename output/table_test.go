package output

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// tablewriterTable is WriteTable as it was through tablewriter: the
// reference the hand-written layout must match byte for byte.
func tablewriterTable(w io.Writer, header []string, rows [][]string) error {
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
				Padding:    tw.CellPadding{Global: tw.Padding{Left: "", Right: "   "}},
			},
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
				Padding:    tw.CellPadding{Global: tw.Padding{Left: "", Right: "   "}},
			},
		}),
	)
	t.Header(toAny(header)...)
	for _, r := range rows {
		if err := t.Append(toAny(r)...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, line := range bytes.SplitAfter(buf.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if _, err := w.Write(append(bytes.TrimRight(line, " \n"), '\n')); err != nil {
			return err
		}
	}
	return nil
}

func toAny(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}

// TestWriteTableMatchesTablewriter: the hand-written table gives the bytes
// tablewriter gave, for audit rows, inventory rows, wide and combining
// characters, empty trailing cells and a header alone.
func TestWriteTableMatchesTablewriter(t *testing.T) {
	var audit [][]string
	for i := range 40 {
		audit = append(audit, []string{"4026532177", "-", "-", "-", "-", strings.Repeat("9", i%7) + "/holder", "tcp", "0.0.0.0", "20000", "all-interfaces", "-"})
	}
	cases := []struct {
		name   string
		header []string
		rows   [][]string
	}{
		{"audit", []string{"NETNS", "RUNTIME", "NAMESPACE", "POD", "CONTAINER", "PID/PROGRAM", "PROTO", "ADDRESS", "PORT", "EXPOSURE", "VERDICT"}, audit},
		{"wide and combining", []string{"NAME", "PROGRAM", "NOTE"}, [][]string{
			{"日本語のコンテナ", "café", "x"},
			{"a", "e\u0301t\u00e9", "emoji 🙂 here"},
			{"-", "-", "-"},
		}},
		{"empty cells", []string{"A", "B", "C"}, [][]string{{"one", "", ""}, {"", "two", ""}, {"", "", "three"}}},
		{"header only", []string{"NETNS", "KIND", "PROCESSES"}, nil},
	}
	for _, c := range cases {
		var got, want bytes.Buffer
		if err := WriteTable(&got, c.header, c.rows); err != nil {
			t.Fatal(err)
		}
		if err := tablewriterTable(&want, c.header, c.rows); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.name, got.String(), want.String())
		}
	}
}

// displayWidth's ASCII shortcut must agree with runewidth everywhere.
func FuzzDisplayWidth(f *testing.F) {
	for _, s := range []string{"", "tcp", "0.0.0.0:22", "nginx: worker", "\t", "\x7f", "é", "日本", "a\u0301", "[::]:8080", "\x00x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := displayWidth(s), runewidth.StringWidth(s); got != want {
			t.Fatalf("displayWidth(%q) = %d, runewidth %d", s, got, want)
		}
	})
}
