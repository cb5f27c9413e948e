package kube

import (
	"errors"
	"strconv"
	"strings"
)

// habit is one kubectl short flag that means something else to netstat.
type habit struct {
	letter byte
	// takesWord: kubectl's flag takes a value, so the word after it is the
	// value the user meant (netstat's letter takes none, or another kind).
	takesWord bool
	// fits reports whether next (the word after the letter, "" when none) is
	// a value of the kubectl flag rather than of netstat's.
	fits func(next string) bool
	// hint is the sentence; %s is replaced by next.
	hint string
}

// habits is the one table of kubectl habits typed into netstat letters.
// Every hint the command prints comes from here.
var habits = []habit{
	{'n', true, func(s string) bool { return !strings.Contains(s, "/") }, // kind/… is a target
		"-n is netstat's --numeric; for a namespace use --namespace %s"},
	{'c', true, func(s string) bool { return !isSeconds(s) },
		"-c is netstat's --continuous; for a container use --container %s"},
	{'l', true, isSelector,
		"-l is netstat's --listening; for a label selector use --selector %s"},
	{'A', false, func(s string) bool { return s == "" || !isFamily(s) },
		"-A is netstat's --protocol=FAMILY; for every namespace use --all-namespaces"},
	{'o', true, isKubectlOutput,
		"-o is netstat's --timers (or -o text|wide|json|ndjson); %s is not an output format here: use --output json"},
	{'s', true, isServer,
		"-s is netstat's --statistics; for the API server use --server %s"},
	{'v', true, isSeconds,
		"-v is netstat's --verbose and takes no level; drop the %s"},
}

// HabitHint explains a kubectl habit typed into netstat's letters. args is
// the command line as typed; bad is the word that failed (a pod that was not
// found, an address family netstat rejected), or "" to look at the whole line.
// It returns "" when no habit explains bad, else one sentence naming the long
// flag, e.g. `-n is netstat's --numeric; for a namespace use --namespace kube-system`.
func HabitHint(args []string, bad string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' || a[1] == '-' {
			continue
		}
		letter := a[len(a)-1] // the letter that takes the next word: "-an kube-system" → n
		next, hasNext := "", i+1 < len(args)
		if hasNext {
			next = args[i+1]
		}
		if hasNext && strings.HasPrefix(next, "-") {
			hasNext, next = false, ""
		}
		for _, h := range habits {
			if h.letter != letter {
				continue
			}
			if h.takesWord && (!hasNext || bad != "" && next != bad) {
				continue
			}
			// A letter without a word explains any bad word after it (-A web).
			if !h.takesWord && bad != "" && hasNext && next != bad {
				continue
			}
			if h.fits(next) {
				return strings.ReplaceAll(h.hint, "%s", next)
			}
		}
	}
	return ""
}

// HintError is an error with the sentence of the kubectl habit that explains
// it; errors.Is/As see through it to the error it explains.
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() + "; hint: " + e.Hint }
func (e *HintError) Unwrap() error { return e.Err }

// WithHint attaches HabitHint(args, bad) to err when there is one and err
// carries no hint yet; otherwise it returns err unchanged.
func WithHint(err error, args []string, bad string) error {
	var he *HintError
	if err == nil || errors.As(err, &he) {
		return err
	}
	if h := HabitHint(args, bad); h != "" {
		return &HintError{Err: err, Hint: h}
	}
	return err
}

func isSeconds(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

// isSelector reports whether s looks like a label selector (app=web,
// tier!=db, env in (a,b)), not a pod name.
func isSelector(s string) bool {
	return strings.ContainsAny(s, "=!") || strings.Contains(s, " in (") || strings.Contains(s, " notin (")
}

// isKubectlOutput reports whether s is one of kubectl's -o formats this
// command does not have.
func isKubectlOutput(s string) bool {
	name, _, _ := strings.Cut(s, "=")
	switch name {
	case "yaml", "name", "jsonpath", "jsonpath-file", "go-template", "go-template-file", "custom-columns", "custom-columns-file":
		return true
	}
	return false
}

// isServer reports whether s looks like an API server address.
func isServer(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, "localhost:") || strings.Count(s, ":") == 1 && isSeconds(s[strings.IndexByte(s, ':')+1:])
}

// isFamily reports whether s is a list of address families netstat's -A takes.
func isFamily(s string) bool {
	for f := range strings.SplitSeq(s, ",") {
		switch f {
		case "inet", "inet6", "unix", "ip", "ip6", "tcpip", "ipx", "ax25", "netrom", "ddp", "bluetooth", "x25", "rose", "ash", "econet", "appletalk":
		default:
			return false
		}
	}
	return s != ""
}

// withHint is WithHint for the command line o was parsed from.
func (o *Options) withHint(err error, bad string) error {
	return WithHint(err, o.RawArgs, bad)
}
