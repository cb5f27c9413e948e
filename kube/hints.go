package kube

import (
	"strconv"
	"strings"
)

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
		if bad != "" && next != bad {
			continue
		}
		if bad == "" && hasNext && strings.HasPrefix(next, "-") {
			hasNext, next = false, ""
		}
		switch letter {
		case 'n':
			if hasNext {
				return "-n is netstat's --numeric; for a namespace use --namespace " + next
			}
		case 'c':
			if hasNext && !isSeconds(next) {
				return "-c is netstat's --continuous; for a container use --container " + next
			}
		case 'A':
			if !hasNext || !isFamily(next) {
				return "-A is netstat's --protocol=FAMILY; for every namespace use --all-namespaces"
			}
		case 'l':
			if hasNext && strings.ContainsAny(next, "=!") {
				return "-l is netstat's --listening; for a label selector use --selector " + next
			}
		}
	}
	return ""
}

func isSeconds(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

// isFamily reports whether s is a list of address families netstat's -A takes.
func isFamily(s string) bool {
	for f := range strings.SplitSeq(s, ",") {
		switch f {
		case "inet", "inet6", "unix", "ipx", "ax25", "netrom", "ddp", "bluetooth", "x25", "rose", "ash", "econet", "appletalk":
		default:
			return false
		}
	}
	return s != ""
}

// withHint appends HabitHint(o.RawArgs, bad) to msg when there is one.
func (o *Options) withHint(msg, bad string) string {
	if h := HabitHint(o.RawArgs, bad); h != "" {
		return msg + " (hint: " + h + ")"
	}
	return msg
}
