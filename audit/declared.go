package audit

import (
	"cmp"
	"slices"
	"strings"
)

// DeclaredPort is one port a pod tells the API about: a containerPort, or
// (Probe set) the port of a liveness, readiness or startup probe, with named
// ports already resolved to numbers by the caller.
//
// A pod is only compared when at least one DeclaredPort names it: the
// caller adds an entry with Port 0 for a pod it fetched that declares
// nothing, so that pods the API did not answer for are not reported.
type DeclaredPort struct {
	Namespace, Pod, Container string
	Port                      uint16
	// Proto is the Kubernetes protocol: "TCP" (also when ""), "UDP" or
	// "SCTP" (ignored: SCTP sockets are not read, so they are never
	// reported either way).
	Proto string
	Probe bool
}

// FindingKind says what is wrong with a port.
type FindingKind uint8

// Finding kinds.
const (
	// FindingUndeclared: something listens on a port the pod neither
	// declares as a containerPort nor probes.
	FindingUndeclared FindingKind = iota + 1
	// FindingNotListening: a declared containerPort nobody listens on.
	FindingNotListening
)

// String returns the finding word used in text and JSON.
func (k FindingKind) String() string {
	switch k {
	case FindingUndeclared:
		return "undeclared"
	case FindingNotListening:
		return "not-listening"
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (k FindingKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Finding is one declared-vs-actual mismatch, reported per pod.
type Finding struct {
	Kind      FindingKind
	Namespace string
	Pod       string
	// Container is the declaring container (not-listening) or the
	// listener's container (undeclared; "" when only the pod is known).
	Container string
	Port      uint16
	// Proto is "TCP" or "UDP".
	Proto string
	// Listener is the listening socket of an undeclared finding, nil for
	// not-listening.
	Listener *Listener
}

type podKey struct{ ns, name string }

type portKey struct {
	pod   podKey
	proto string
	port  uint16
}

// CompareDeclared reports, per pod, listeners on ports the pod does not
// declare as a containerPort and does not probe, and declared containerPorts
// nobody in the pod listens on. A pod's ports are the union over its
// containers, since they share one netns.
//
// Only TCP and UDP listeners that belong to a pod are compared. Loopback
// listeners are never reported undeclared: a containerPort is reached
// through the pod IP, so a loopback-only port (a sidecar's admin port) has
// nothing to declare; they still count as listening for a declared port.
// One finding is given per (pod, proto, port), for the first listener in
// input order; findings are sorted by namespace, pod, kind, proto and port.
func CompareDeclared(listeners []Listener, declared []DeclaredPort) []Finding {
	known := map[podKey]bool{}
	declaredPorts := map[portKey]bool{}
	for _, d := range declared {
		pk := podKey{d.Namespace, d.Pod}
		known[pk] = true
		if d.Port != 0 {
			declaredPorts[portKey{pk, declaredProto(d.Proto), d.Port}] = true
		}
	}
	var out []Finding
	listening := map[portKey]bool{}
	reported := map[portKey]bool{}
	for i := range listeners {
		l := &listeners[i]
		pod := l.Pod()
		var proto string
		switch {
		case pod == nil:
			continue
		case l.Proto.IsTCP():
			proto = "TCP"
		case l.Proto.IsUDP():
			proto = "UDP"
		default:
			continue
		}
		k := portKey{podKey{pod.Namespace, pod.Name}, proto, l.Port}
		listening[k] = true
		if !known[k.pod] || declaredPorts[k] || reported[k] || l.Exposure == ExposureLoopback {
			continue
		}
		reported[k] = true
		f := Finding{Kind: FindingUndeclared, Namespace: k.pod.ns, Pod: k.pod.name, Port: l.Port, Proto: proto, Listener: l}
		if l.Container != nil && !l.Container.Sandbox {
			f.Container = l.Container.Name
		}
		out = append(out, f)
	}
	for _, d := range declared {
		if d.Probe || d.Port == 0 {
			continue
		}
		k := portKey{podKey{d.Namespace, d.Pod}, declaredProto(d.Proto), d.Port}
		if (k.proto != "TCP" && k.proto != "UDP") || listening[k] || reported[k] {
			continue
		}
		reported[k] = true
		out = append(out, Finding{Kind: FindingNotListening, Namespace: d.Namespace, Pod: d.Pod,
			Container: d.Container, Port: d.Port, Proto: k.proto})
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Namespace, b.Namespace),
			cmp.Compare(a.Pod, b.Pod),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Proto, b.Proto),
			cmp.Compare(a.Port, b.Port),
		)
	})
	return out
}

// declaredProto normalises a Kubernetes protocol; the API's default is TCP.
func declaredProto(p string) string {
	if p == "" {
		return "TCP"
	}
	return strings.ToUpper(p)
}
