package report

import (
	"fmt"
	"net/netip"

	"github.com/kubectl-netstat/kubectl-netstat/audit"
	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// ListenerFromRecord rebuilds a listener from an audit record another
// kubectl-netstat (an agent on another node) printed, so policies are
// evaluated where the policy file is.
func ListenerFromRecord(rec wire.AuditRecord) (audit.Listener, error) {
	var l audit.Listener
	p, ok := parseEnum(rec.Proto, func(v inspect.Proto) string { return v.String() }, inspect.ProtoTCP, inspect.ProtoUnix)
	if !ok {
		return l, fmt.Errorf("audit record: unknown proto %q", rec.Proto)
	}
	l.Proto = p
	e, ok := parseEnum(rec.Exposure, func(v audit.Exposure) string { return v.String() }, audit.ExposureUnknown, audit.ExposureLocal)
	if !ok {
		return l, fmt.Errorf("audit record: unknown exposure %q", rec.Exposure)
	}
	l.Exposure = e
	l.HostNetwork = rec.HostNetwork
	if rec.Address != nil {
		a, err := netip.ParseAddr(*rec.Address)
		if err != nil {
			return l, fmt.Errorf("audit record: address: %w", err)
		}
		l.Addr = a
	}
	if rec.Port != nil {
		l.Port = *rec.Port
	}
	if rec.UnixPath != nil {
		l.UnixPath = *rec.UnixPath
	}
	if n := rec.Netns; n != nil {
		k, _ := parseEnum(n.Kind, func(v inspect.NetnsKind) string { return v.String() }, inspect.NetnsUnknown, inspect.NetnsNamed)
		l.Netns = &inspect.Netns{Inode: n.Inode, Kind: k, Names: n.Names}
	}
	if c := rec.Container; c != nil {
		rt, _ := parseEnum(c.Runtime, func(v inspect.Runtime) string { return v.String() }, inspect.RuntimeUnknown, inspect.RuntimeNspawn)
		ic := &inspect.Container{Runtime: rt, ID: c.ID, Pod: c.Pod, HostNetwork: c.HostNetwork}
		if c.Name != nil {
			ic.Name = *c.Name
		}
		if c.Image != nil {
			ic.Image = *c.Image
		}
		l.Container = ic
	}
	if rec.PID != nil {
		l.Process = &inspect.Process{PID: *rec.PID, Container: l.Container}
		if rec.Program != nil {
			l.Process.Name = *rec.Program
		}
	}
	return l, nil
}

// parseEnum finds the value in [lo, hi] whose String is s.
func parseEnum[T ~uint8](s string, str func(T) string, lo, hi T) (T, bool) {
	for v := lo; v <= hi; v++ {
		if str(v) == s {
			return v, true
		}
	}
	return lo, false
}
