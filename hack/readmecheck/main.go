// Command readmecheck runs the README's marked examples and compares (or
// rewrites) their output; hack/readme-examples.sh runs it against the demo
// scene. Written here because the check is specific to this README's
// marking and to the demo's volatile fields.
//
// A marked example is a fenced block preceded by the line
// "<!-- readme-example -->". Each line starting with "$ " is a command, run
// with bash exactly as written (stdout and stderr together); the lines after
// it, up to the next command, are its expected output.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"
)

const marker = "<!-- readme-example -->"

// example is one "$ command" of a marked block and the text after it.
type example struct {
	cmd  string
	want []string
}

// block is one marked fenced block: lines [start, end) of the README are its body.
type block struct {
	start, end int
	examples   []example
}

func main() {
	update := flag.Bool("update", false, "rewrite the marked blocks from the output instead of checking them")
	suggested := flag.String("suggested", "", "file with the commands the demo suggests; each must be a marked README example")
	timeout := flag.Duration("timeout", 2*time.Minute, "limit for one command")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: readmecheck [-update] [-suggested FILE] README.md")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *update, *suggested, *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "readme-examples: %v\n", err)
		os.Exit(1)
	}
}

func run(path string, update bool, suggested string, timeout time.Duration) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(raw), "\n")
	blocks, err := parse(lines)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(blocks) == 0 {
		return fmt.Errorf("%s: no block marked %s", path, marker)
	}
	if suggested != "" {
		if err := checkSuggested(suggested, blocks); err != nil {
			return err
		}
	}
	failed, n := 0, 0
	for bi := range blocks {
		b := &blocks[bi]
		for ei := range b.examples {
			e := &b.examples[ei]
			n++
			got, err := runCmd(e.cmd, timeout)
			if err != nil {
				return fmt.Errorf("%s:%d: $ %s: %v", path, b.start+1, e.cmd, err)
			}
			if update {
				e.want = got
				continue
			}
			if d := diff(e.want, got); d != "" {
				failed++
				fmt.Fprintf(os.Stderr, "readme-examples: %s:%d: `$ %s` differs from the README (normalised; -README +output):\n%s", path, b.start+1, e.cmd, d)
			}
		}
	}
	if update {
		return os.WriteFile(path, []byte(rewrite(lines, blocks)), 0o644)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d README example commands differ from their real output (make readme-examples-update rewrites them)", failed, n)
	}
	fmt.Printf("readme-examples: %d commands in %d marked blocks match their real output\n", n, len(blocks))
	return nil
}

func parse(lines []string) ([]block, error) {
	var blocks []block
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != marker {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j >= len(lines) || !strings.HasPrefix(lines[j], "```") {
			return nil, fmt.Errorf("line %d: %s is not followed by a fenced block", i+1, marker)
		}
		b := block{start: j + 1}
		k := b.start
		for k < len(lines) && !strings.HasPrefix(lines[k], "```") {
			if c, ok := strings.CutPrefix(lines[k], "$ "); ok {
				b.examples = append(b.examples, example{cmd: c})
			} else if len(b.examples) == 0 {
				return nil, fmt.Errorf("line %d: a marked block must start with a \"$ \" command", k+1)
			} else {
				e := &b.examples[len(b.examples)-1]
				e.want = append(e.want, lines[k])
			}
			k++
		}
		if k >= len(lines) {
			return nil, fmt.Errorf("line %d: unterminated block", j+1)
		}
		b.end = k
		for ei := range b.examples {
			e := &b.examples[ei]
			for len(e.want) > 0 && strings.TrimSpace(e.want[len(e.want)-1]) == "" {
				e.want = e.want[:len(e.want)-1] // the blank line between two commands
			}
		}
		blocks = append(blocks, b)
		i = k
	}
	return blocks, nil
}

// runCmd runs one command line with bash, stdout and stderr in one stream.
func runCmd(cmd string, timeout time.Duration) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-c", cmd)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return nil, err // a failing command is an example too (errors, hints); not starting is not
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("no result within %s", timeout)
	}
	text := strings.TrimRight(out.String(), "\n")
	if text == "" {
		return nil, nil
	}
	return strings.Split(text, "\n"), nil
}

// checkSuggested fails when the demo suggests a command the README does not show.
func checkSuggested(path string, blocks []block) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, b := range blocks {
		for _, e := range b.examples {
			have[e.cmd] = true
		}
	}
	for _, l := range strings.Split(string(raw), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "kubectl-netstat ") && !have[l] {
			return fmt.Errorf("the demo suggests `%s`, which is not a marked README example", l)
		}
	}
	return nil
}

// volatile are the fields that change from run to run of the same scene.
// PIDs: hack/readme-examples.sh starts the scene in a PID namespace whose
// numbers begin at 20001, so a whole-word number from 20001 to 32767 is a PID.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`cni-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "cni-UUID"},
	{regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), "UUID"},
	{regexp.MustCompile(`netstat-demo-[0-9a-f]{8}\b`), "netstat-demo-TAG"},
	{regexp.MustCompile(`\b[0-9a-f]{64}\b`), "ID64"},
	{regexp.MustCompile(`\b[0-9a-f]{12}\b`), "ID12"},
	{regexp.MustCompile(`\b4026\d{6}\b`), "NETNS"},
	{regexp.MustCompile(`"inode": \d+`), `"inode": INODE`},
	{regexp.MustCompile(`\b(2000[1-9]|200[1-9]\d|20[1-9]\d\d|2[1-9]\d\d\d|3[01]\d\d\d|32[0-6]\d\d|327[0-6]\d)\b`), "PID"},
	{regexp.MustCompile(`\s+`), " "},
}

func normalise(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		for _, v := range volatile {
			l = v.re.ReplaceAllString(l, v.with)
		}
		out = append(out, strings.TrimSpace(l))
	}
	// Compared as a multiset: the kernel lists a namespace's sockets in hash
	// order, seeded per namespace, and nsfs inodes are reused, so the order of
	// rows and of namespace blocks differs from run to run.
	slices.Sort(out)
	return out
}

// diff is "" when want and got normalise to the same lines, else the lines
// only one of them has.
func diff(want, got []string) string {
	w, g := normalise(want), normalise(got)
	var b strings.Builder
	i, j := 0, 0
	for i < len(w) || j < len(g) {
		switch {
		case j >= len(g) || i < len(w) && w[i] < g[j]:
			fmt.Fprintf(&b, "  -%s\n", w[i])
			i++
		case i >= len(w) || g[j] < w[i]:
			fmt.Fprintf(&b, "  +%s\n", g[j])
			j++
		default:
			i++
			j++
		}
	}
	return b.String()
}

// rewrite replaces the marked blocks' bodies with their examples.
func rewrite(lines []string, blocks []block) string {
	var out []string
	prev := 0
	for _, b := range blocks {
		out = append(out, lines[prev:b.start]...)
		for ei, e := range b.examples {
			if ei > 0 {
				out = append(out, "")
			}
			out = append(out, "$ "+e.cmd)
			out = append(out, e.want...)
		}
		prev = b.end
	}
	out = append(out, lines[prev:]...)
	return strings.Join(out, "\n")
}
