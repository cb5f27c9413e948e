package main

import (
	"strings"
	"testing"
	"time"
)

const readme = "# t\n\n<!-- readme-example -->\n```\n$ echo one\nold\n\n$ printf 'a\\nb\\n'\nb\na\n```\n\n```\n$ not checked\n```\n"

func TestParseRewrite(t *testing.T) {
	lines := strings.Split(readme, "\n")
	blocks, err := parse(lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 || len(blocks[0].examples) != 2 {
		t.Fatalf("blocks %+v, want one marked block with two commands", blocks)
	}
	e := blocks[0].examples
	if e[0].cmd != "echo one" || strings.Join(e[0].want, "|") != "old" || e[1].cmd != `printf 'a\nb\n'` {
		t.Errorf("examples %+v", e)
	}
	for i := range e {
		got, err := runCmd(e[i].cmd, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		e[i].want = got
	}
	want := strings.Replace(readme, "$ echo one\nold\n", "$ echo one\none\n", 1)
	want = strings.Replace(want, "b\na\n```", "a\nb\n```", 1)
	if got := rewrite(lines, blocks); got != want {
		t.Errorf("rewrite:\n%s\nwant:\n%s", got, want)
	}
}

func TestNormalise(t *testing.T) {
	readmeSide := []string{
		"# netns 4026532767 pod demo/web (containerd) containers: envoy, nginx names: /run/netns/cni-52d24ab6-c52c-2301-ba6c-12b8a5c79fd4",
		`    "inode": 179265,`,
		"tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN      20091/nginx         ",
		"containerd   3631fed12a30   envoy",
	}
	run := []string{
		"containerd   a1d983e70317   envoy",
		"tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN      31002/nginx ",
		`    "inode": 2201,`,
		"# netns 4026540001 pod demo/web (containerd) containers: envoy, nginx names: /run/netns/cni-00000000-1111-2222-3333-444444444444",
	}
	if d := diff(readmeSide, run); d != "" {
		t.Errorf("volatile fields not normalised:\n%s", d)
	}
	// Ports, counts and names are not volatile.
	if d := diff([]string{"tcp 0 0 0.0.0.0:8080 LISTEN 20091/nginx"}, []string{"tcp 0 0 0.0.0.0:8081 LISTEN 20091/nginx"}); d == "" {
		t.Error("a changed port went unnoticed")
	}
	if d := diff([]string{"4026532767 host - - - 3 0 -"}, []string{"4026532767 host - - - 4 0 -"}); d == "" {
		t.Error("a changed count went unnoticed")
	}
}
