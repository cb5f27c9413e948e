package cmd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/kube"
)

// outputFormats are the values `-o FORMAT` accepts; anything else makes -o netstat's --timers.
var outputFormats = map[string]bool{"text": true, "wide": true, "json": true, "ndjson": true}

// preArgs is what the netstat-aware pre-pass learned from the raw command line.
type preArgs struct {
	args []string
	// families in command-line order (inet, inet6, unix, …), as netstat builds its AF list.
	families []string
	// err is a usage error the pre-pass already knows (a bad -c value, -o xml).
	err error
}

// maxSeconds bounds -c and --watch: one day. Larger values overflowed
// time.Duration into busy loops.
const maxSeconds = 86400

// setErr keeps the first usage error of the pre-pass.
func (p *preArgs) setErr(err error) {
	if p.err == nil {
		p.err = err
	}
}

// badSeconds is the usage error for a -c/--watch value that is not 1..86400.
func badSeconds(flag, v string) error {
	return usagef("%s takes a whole number of seconds from 1 to %d, not %q", flag, maxSeconds, v)
}

// numberLike reports whether s was meant as a number (digits, sign, point).
func numberLike(s string) bool {
	if s == "" {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// formatLike reports whether s is the name of an output format of kubectl
// or another tool (yaml, jsonpath=…): -o followed by one is a wrong format,
// not netstat's --timers and a target.
func formatLike(s string) bool {
	name, _, _ := strings.Cut(strings.ToLower(s), "=")
	switch name {
	case "yaml", "yml", "xml", "csv", "tsv", "table", "name", "plain", "go-template", "go-template-file",
		"template", "templatefile", "jsonpath", "jsonpath-file", "jsonpath-as-json", "custom-columns", "custom-columns-file":
		return true
	}
	return false
}

// preprocess rewrites netstat spellings pflag cannot express:
//   - `-o FORMAT` / `-oFORMAT` with FORMAT an output name → --output=FORMAT (else -o is --timers);
//   - `-c N` / `-cN` → --continuous=N (plain -c keeps its default of 1 s);
//   - the ordered address-family list from -4 -6 -x -A/--protocol and --inet/--inet6/--unix.
//
// Hints for kubectl habits typed into these letters come from kube.HabitHint,
// which reads the raw command line when something fails.
func preprocess(in []string) preArgs {
	var p preArgs
	for i := 0; i < len(in); i++ {
		a := in[i]
		if a == "--" {
			p.args = append(p.args, in[i:]...)
			break
		}
		if strings.HasPrefix(a, "--") {
			name, val, hasVal := strings.Cut(a[2:], "=")
			switch name {
			case "inet", "ip", "tcpip":
				p.families = append(p.families, "inet")
			case "inet6":
				p.families = append(p.families, "inet6")
			case "unix":
				p.families = append(p.families, "unix")
			case "watch", "continuous":
				// Optional-value flags: "--watch 5" means --watch=5, as "-c 5" does.
				if !hasVal && i+1 < len(in) {
					if n, ok := seconds(in[i+1]); ok {
						i++
						a = "--" + name + "=" + n
					} else if numberLike(in[i+1]) {
						p.setErr(badSeconds("--"+name, in[i+1]))
					}
				} else if hasVal {
					if _, ok := seconds(val); !ok {
						p.setErr(badSeconds("--"+name, val))
					}
				}
			case "protocol":
				if !hasVal && i+1 < len(in) {
					val = in[i+1]
				}
				p.families = append(p.families, splitFamilies(val)...)
			}
			p.args = append(p.args, a)
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			p.args = append(p.args, a)
			continue
		}
		// A cluster of short flags.
		letters := a[1:]
		var kept strings.Builder
		var extra []string
		for j := 0; j < len(letters); j++ {
			c := letters[j]
			rest := letters[j+1:]
			switch c {
			case 'A':
				val := rest
				if val == "" && i+1 < len(in) {
					i++
					val = in[i]
				} else if val == "" {
					// Let pflag report the missing argument.
					kept.WriteByte(c)
					j = len(letters)
					continue
				}
				p.families = append(p.families, splitFamilies(val)...)
				extra = append(extra, "--protocol="+val)
				j = len(letters)
			case 'o':
				if rest != "" && outputFormats[rest] {
					extra = append(extra, "--output="+rest)
					j = len(letters)
				} else if rest == "" && i+1 < len(in) && outputFormats[in[i+1]] {
					i++
					extra = append(extra, "--output="+in[i])
				} else if f := rest; f != "" && formatLike(f) || rest == "" && i+1 < len(in) && formatLike(in[i+1]) {
					if f == "" {
						f = in[i+1]
					}
					p.setErr(usage(kube.WithHint(fmt.Errorf("unknown output format %q: use text, wide, json or ndjson (-o alone is netstat's --timers)", f), in, f)))
					j = len(letters)
				} else {
					kept.WriteByte(c)
				}
			case 'c':
				if n, ok := seconds(rest); rest != "" && ok {
					extra = append(extra, "--continuous="+n)
					j = len(letters)
				} else if rest != "" && numberLike(rest) {
					p.setErr(badSeconds("-c", rest))
					j = len(letters)
				} else if rest == "" && i+1 < len(in) {
					next := in[i+1]
					if n, ok := seconds(next); ok {
						i++
						extra = append(extra, "--continuous="+n)
					} else {
						switch {
						case numberLike(next):
							p.setErr(badSeconds("-c", next))
						case !strings.HasPrefix(next, "-") && !strings.Contains(next, "/"):
							// "-c nginx" is kubectl's container flag, or a target
							// that -c swallowed: either way ask, don't guess.
							p.setErr(usage(kube.WithHint(fmt.Errorf("-c takes a number of seconds, not %q; to watch a target put it before -c (kubectl-netstat %s -c)", next, next), in, next)))
						}
						kept.WriteByte(c)
					}
				} else {
					kept.WriteByte(c)
				}
			case '4':
				p.families = append(p.families, "inet")
				kept.WriteByte(c)
			case '6':
				p.families = append(p.families, "inet6")
				kept.WriteByte(c)
			case 'x':
				p.families = append(p.families, "unix")
				kept.WriteByte(c)
			default:
				kept.WriteByte(c)
			}
		}
		if kept.Len() > 0 {
			p.args = append(p.args, "-"+kept.String())
		}
		p.args = append(p.args, extra...)
	}
	return p
}

func seconds(s string) (string, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxSeconds {
		return "", false
	}
	return strconv.Itoa(n), true
}

// familyAliases maps netstat's -A names to canonical ones.
var familyAliases = map[string]string{
	"inet": "inet", "ip": "inet", "tcpip": "inet", "inet6": "inet6", "ip6": "inet6", "unix": "unix",
	"ax25": "ax25", "ipx": "ipx", "rose": "rose", "appletalk": "ddp", "ddp": "ddp", "netrom": "netrom",
	"econet": "ec", "x25": "x25", "ash": "ash", "bluetooth": "bluetooth",
}

func knownFamily(f string) bool { _, ok := familyAliases[f]; return ok }

func splitFamilies(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f == "" {
			continue
		}
		if c, ok := familyAliases[f]; ok {
			f = c
		}
		out = append(out, f)
	}
	return out
}
