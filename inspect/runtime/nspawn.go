package runtime

import (
	"strconv"
	"strings"
)

// systemd-nspawn has no state of its own to read: the machine name is in
// the unit name of its cgroup, and the cgroup below the unit says whether a
// process is the container's or nspawn's.

// machineScope matches machined's "machine-<name>.scope" (systemd-nspawn,
// and libvirt's LXC and QEMU machines, which the caller tells apart by name).
func machineScope(c string) (name string, ok bool) {
	if !strings.HasPrefix(c, "machine-") || !strings.HasSuffix(c, ".scope") {
		return "", false
	}
	return unescapeSystemd(strings.TrimSuffix(strings.TrimPrefix(c, "machine-"), ".scope")), true
}

// nspawnService matches machinectl start's shape:
// /machine.slice/systemd-nspawn@<name>.service.
func nspawnService(c string) (name string, ok bool) {
	if s, ok := strings.CutPrefix(c, "systemd-nspawn@"); ok && strings.HasSuffix(s, ".service") && len(s) > len(".service") {
		return unescapeSystemd(strings.TrimSuffix(s, ".service")), true
	}
	return "", false
}

// nspawnSupervisor reports whether c, the component below an nspawn unit,
// is the supervisor: systemd-nspawn --keep-unit splits its unit into payload
// (the container) and supervisor (nspawn itself, in the host netns), which is
// not part of the container.
func nspawnSupervisor(c string) bool { return c == "supervisor" }

// unescapeSystemd turns systemd's \xNN unit-name escapes back into bytes.
func unescapeSystemd(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
