//go:build !windows

package audit

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

const examplePolicy = "../testdata/audit/policies/example.yaml"

// listenerSpec builds listeners for policy tests from short descriptions.
type listenerSpec struct {
	ns, pod, ctr string
	runtime      inspect.Runtime
	program      string
	proto        inspect.Proto
	addr         string
	port         uint16
	unixPath     string
	host         bool
}

func (s listenerSpec) listener() Listener {
	l := Listener{Proto: s.proto, Port: s.port, UnixPath: s.unixPath, HostNetwork: s.host}
	if s.ctr != "" || s.pod != "" {
		l.Container = &inspect.Container{Name: s.ctr, Runtime: s.runtime}
		if s.pod != "" {
			l.Container.Pod = &inspect.Pod{Namespace: s.ns, Name: s.pod}
		}
	}
	if s.program != "" {
		l.Process = &inspect.Process{PID: 7, Name: s.program}
	}
	if s.proto == inspect.ProtoUnix {
		l.Exposure = ExposureLocal
	} else {
		l.Addr = netip.MustParseAddr(s.addr)
		l.Exposure = Classify(l.Addr)
	}
	return l
}

func TestEvaluateExample(t *testing.T) {
	p, err := LoadPolicy(examplePolicy)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		l    listenerSpec
		want Verdict
	}{
		{"loopback anywhere", listenerSpec{ns: "default", pod: "x", proto: inspect.ProtoTCP, addr: "127.0.0.1", port: 6000},
			Verdict{true, 0, "rules[0]: loopback-only listeners"}},
		{"v4-mapped loopback", listenerSpec{proto: inspect.ProtoTCP6, addr: "::ffff:127.0.0.2", port: 1},
			Verdict{true, 0, "rules[0]: loopback-only listeners"}},
		{"unix", listenerSpec{proto: inspect.ProtoUnix, unixPath: "/run/x.sock"},
			Verdict{true, 1, "rules[1] (line 16)"}},
		{"node exporter on host network", listenerSpec{ns: "monitoring", pod: "node-exporter-x7k2p", ctr: "exporter", proto: inspect.ProtoTCP6, addr: "::", port: 9100, host: true},
			Verdict{true, 2, "rules[2] (line 22)"}},
		{"node exporter wrong port", listenerSpec{ns: "monitoring", pod: "node-exporter-x7k2p", proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 9101, host: true},
			Verdict{false, 3, "rules[3]: hostNetwork pods must not listen"}},
		{"node exporter in its own netns is no host-network match", listenerSpec{ns: "monitoring", pod: "node-exporter-x7k2p", proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 9100},
			Verdict{false, -1, "default: deny"}},
		{"web nginx port in range", listenerSpec{ns: "default", pod: "web-7c5d9", ctr: "nginx", proto: inspect.ProtoTCP6, addr: "::", port: 443},
			Verdict{true, 4, "rules[4] (line 36)"}},
		{"web nginx range start", listenerSpec{ns: "default", pod: "web-7c5d9", ctr: "nginx", proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 80},
			Verdict{true, 4, "rules[4] (line 36)"}},
		{"web nginx above range", listenerSpec{ns: "default", pod: "web-7c5d9", ctr: "nginx", proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 444},
			Verdict{false, -1, "default: deny"}},
		{"web nginx below range", listenerSpec{ns: "default", pod: "web-7c5d9", ctr: "nginx", proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 79},
			Verdict{false, -1, "default: deny"}},
		{"web nginx udp", listenerSpec{ns: "default", pod: "web-7c5d9", ctr: "nginx", proto: inspect.ProtoUDP, addr: "0.0.0.0", port: 443},
			Verdict{false, -1, "default: deny"}},
		{"glob does not match other pod", listenerSpec{ns: "default", pod: "webapp", ctr: "nginx", proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 80},
			Verdict{false, -1, "default: deny"}},
		{"other container of web", listenerSpec{ns: "default", pod: "web-7c5d9", ctr: "envoy", proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 80},
			Verdict{false, -1, "default: deny"}},
		{"coredns on service address udp", listenerSpec{ns: "kube-system", pod: "coredns-1", program: "coredns", proto: inspect.ProtoUDP, addr: "192.0.2.10", port: 53},
			Verdict{true, 5, "rules[5] (line 45)"}},
		{"coredns on wildcard", listenerSpec{ns: "kube-system", pod: "coredns-1", program: "coredns", proto: inspect.ProtoUDP6, addr: "::", port: 53},
			Verdict{false, -1, "default: deny"}},
		{"host sshd", listenerSpec{program: "sshd", proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 22, host: true},
			Verdict{true, 6, "rules[6] (line 53)"}},
		{"sshd in a pod", listenerSpec{ns: "default", pod: "jump", program: "sshd", proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 22},
			Verdict{false, -1, "default: deny"}},
		{"unknown everything", listenerSpec{proto: inspect.ProtoTCP, addr: "198.51.100.1", port: 8080},
			Verdict{false, -1, "default: deny"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := p.Evaluate(tc.l.listener())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateMatchFields(t *testing.T) {
	nginx := listenerSpec{ns: "prod", pod: "web-1", ctr: "nginx", runtime: inspect.RuntimeContainerd, program: "nginx",
		proto: inspect.ProtoTCP, addr: "192.0.2.5", port: 8080}
	for _, tc := range []struct {
		name  string
		match string
		l     listenerSpec
		want  bool
	}{
		{"empty match", "{}", nginx, true},
		{"null match", "", nginx, true},
		{"namespace", "{namespace: prod}", nginx, true},
		{"namespace glob", "{namespace: 'p*'}", nginx, true},
		{"namespace miss", "{namespace: dev}", nginx, false},
		{"namespace star needs a pod", "{namespace: '*'}", listenerSpec{proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 1}, false},
		{"empty namespace matches no pod", "{namespace: ''}", listenerSpec{proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 1}, true},
		{"empty namespace misses pod", "{namespace: ''}", nginx, false},
		{"pod class glob", "{pod: 'web-[0-9]'}", nginx, true},
		{"pod question glob", "{pod: 'web-?'}", nginx, true},
		{"pod miss", "{pod: 'web-??'}", nginx, false},
		{"container", "{container: 'ngin?'}", nginx, true},
		{"runtime", "{runtime: containerd}", nginx, true},
		{"runtime miss", "{runtime: cri-o}", nginx, false},
		{"program", "{program: 'ng*'}", nginx, true},
		{"program unknown", "{program: '*'}", listenerSpec{proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 1}, false},
		{"proto tcp matches tcp6", "{proto: tcp}", listenerSpec{proto: inspect.ProtoTCP6, addr: "::", port: 1}, true},
		{"proto udp matches udplite6", "{proto: udp}", listenerSpec{proto: inspect.ProtoUDPLite6, addr: "::", port: 1}, true},
		{"proto udp misses tcp", "{proto: udp}", nginx, false},
		{"proto unix", "{proto: unix}", listenerSpec{proto: inspect.ProtoUnix, unixPath: "/x"}, true},
		{"proto unix misses tcp", "{proto: unix}", nginx, false},
		{"port int", "{port: 8080}", nginx, true},
		{"port string", "{port: '8080'}", nginx, true},
		{"port range inclusive end", "{port: 8000-8080}", nginx, true},
		{"port range miss", "{port: 8081-9000}", nginx, false},
		{"port never matches unix", "{port: 1-65535}", listenerSpec{proto: inspect.ProtoUnix, unixPath: "/x"}, false},
		{"exposure specific", "{exposure: specific}", nginx, true},
		{"exposure all-interfaces miss", "{exposure: all-interfaces}", nginx, false},
		{"exposure local", "{exposure: local}", listenerSpec{proto: inspect.ProtoUnix, unixPath: "/x"}, true},
		{"host-network", "{exposure: host-network}", listenerSpec{proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 1, host: true}, true},
		{"host-network miss", "{exposure: host-network}", nginx, false},
		{"all fields AND", "{namespace: prod, pod: web-1, container: nginx, runtime: containerd, program: nginx, proto: tcp, port: 8080, exposure: specific}", nginx, true},
		{"one field off fails the AND", "{namespace: prod, pod: web-1, container: nginx, runtime: containerd, program: nginx, proto: tcp, port: 8081, exposure: specific}", nginx, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "default: deny\nrules:\n  - action: allow\n    match: " + tc.match + "\n"
			p, err := ParsePolicy("t.yaml", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Evaluate(tc.l.listener()).Allowed; got != tc.want {
				t.Errorf("match %s: allowed = %v, want %v", tc.match, got, tc.want)
			}
		})
	}
}

func TestEvaluateOrderAndDefault(t *testing.T) {
	l := listenerSpec{proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 80}.listener()
	for _, tc := range []struct {
		name string
		doc  string
		want Verdict
	}{
		{"first match wins: deny before allow",
			"rules:\n- action: deny\n  match: {port: 80}\n- action: allow\n  match: {port: 80}\n",
			Verdict{false, 0, "rules[0] (line 2)"}},
		{"first match wins: allow before deny",
			"rules:\n- action: allow\n  match: {port: 80}\n  description: web\n- action: deny\n",
			Verdict{true, 0, "rules[0]: web"}},
		{"non-matching rule skipped",
			"rules:\n- action: allow\n  match: {port: 81}\n- action: deny\n  match: {proto: tcp}\n",
			Verdict{false, 1, "rules[1] (line 4)"}},
		{"default deny when omitted", "rules: []\n", Verdict{false, -1, "default: deny"}},
		{"default allow", "default: allow\nrules:\n- action: deny\n  match: {port: 81}\n", Verdict{true, -1, "default: allow"}},
		{"rules omitted", "default: allow\n", Verdict{true, -1, "default: allow"}},
		{"rules null", "default: deny\nrules:\n", Verdict{false, -1, "default: deny"}},
		{"rule without match matches all", "rules:\n- action: allow\n", Verdict{true, 0, "rules[0] (line 2)"}},
		{"anchors and aliases", "rules:\n- action: deny\n  match: &m {port: 81}\n- action: allow\n  match: *m\n- action: deny\n",
			Verdict{false, 2, "rules[2] (line 6)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy("t.yaml", []byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p.Evaluate(l)); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"empty file", "", "p.yaml:1: empty policy: want a mapping with default and rules"},
		{"only a comment", "# nothing\n", "p.yaml:1: empty policy: want a mapping with default and rules"},
		{"bad YAML indentation", "default: deny\nrules:\n  - action: allow\n   match: {}\n",
			"p.yaml:4: bad YAML: did not find expected '-' indicator"},
		{"bad YAML tab", "default: deny\nrules:\n\t- action: allow\n",
			"p.yaml:3: bad YAML: found character that cannot start any token"},
		{"bad YAML on line 1", "default: deny: allow\n",
			"p.yaml:1: bad YAML: mapping values are not allowed in this context"},
		{"bad YAML unclosed flow", "rules:\n- action: allow\n  match: {port: 80\n- action: deny\n",
			"p.yaml:3: bad YAML: did not find expected ',' or '}'"},
		{"bad YAML unknown anchor", "rules:\n- action: allow\n- action: deny\n  match: *nope\n",
			"p.yaml:4: bad YAML: unknown anchor 'nope' referenced"},
		{"two documents", "default: deny\n---\ndefault: allow\n",
			"p.yaml:2: more than one YAML document; a policy is one document"},
		{"top level list", "- action: allow\n",
			"p.yaml:1: policy: want a mapping with default and rules, got a list"},
		{"top level scalar", "deny\n",
			`p.yaml:1: policy: want a mapping with default and rules, got "deny"`},
		{"unknown top-level field", "default: deny\nrule:\n  - action: allow\n",
			`p.yaml:2: policy: unknown field "rule"; known fields: default, rules`},
		{"unknown rule field", "rules:\n  - action: allow\n    matches: {port: 80}\n",
			`p.yaml:3: rules[0]: unknown field "matches"; known fields: action, match, description`},
		{"unknown match field", "rules:\n  - action: allow\n  - action: deny\n    match:\n      port: 80\n      address: 0.0.0.0\n",
			`p.yaml:6: rules[1].match: unknown field "address"; known fields: namespace, pod, container, runtime, program, proto, port, exposure`},
		{"duplicate field", "default: deny\ndefault: allow\n",
			`p.yaml:2: policy: field "default" given twice`},
		{"duplicate match field", "rules:\n  - action: allow\n    match:\n      port: 80\n      port: 81\n",
			`p.yaml:5: rules[0].match: field "port" given twice`},
		{"bad default", "default: maybe\n",
			`p.yaml:1: default: bad action "maybe": want allow or deny`},
		{"bad action", "rules:\n  - action: allow\n  - action: permit\n",
			`p.yaml:3: rules[1].action: bad action "permit": want allow or deny`},
		{"missing action", "rules:\n  - match: {port: 80}\n",
			`p.yaml:2: rules[0]: missing action: want allow or deny`},
		{"action list", "rules:\n  - action: [allow]\n",
			`p.yaml:2: rules[0].action: want a single value, got a list`},
		{"rules not a list", "rules: {action: allow}\n",
			`p.yaml:1: rules: want a list of rules, got a mapping`},
		{"rule not a mapping", "rules:\n  - allow\n",
			`p.yaml:2: rules[0]: want a mapping with action and match, got "allow"`},
		{"match not a mapping", "rules:\n  - action: allow\n    match: [port]\n",
			`p.yaml:3: rules[0].match: want a mapping of namespace, pod, container, runtime, program, proto, port, exposure, got a list`},
		{"null match value", "rules:\n  - action: allow\n    match:\n      namespace:\n",
			`p.yaml:4: rules[0].match.namespace: want a single value, got nothing`},
		{"bad port range reversed", "rules:\n  - action: allow\n    match:\n      port: 90-80\n",
			`p.yaml:4: rules[0].match.port: bad port range "90-80": start 90 is greater than end 80`},
		{"bad port range end", "rules:\n  - action: allow\n    match:\n      port: 80-\n",
			`p.yaml:4: rules[0].match.port: bad port range "80-": want a number from 1 to 65535`},
		{"bad port range start", "rules:\n  - action: allow\n    match:\n      port: -80\n",
			`p.yaml:4: rules[0].match.port: bad port "-80": want a number from 1 to 65535`},
		{"bad port too big", "rules:\n  - action: allow\n    match: {port: 65536}\n",
			`p.yaml:3: rules[0].match.port: bad port "65536": want a number from 1 to 65535`},
		{"bad port zero", "rules:\n  - action: allow\n    match: {port: 0}\n",
			`p.yaml:3: rules[0].match.port: bad port "0": want a number from 1 to 65535`},
		{"bad port word", "rules:\n  - action: allow\n    match: {port: http}\n",
			`p.yaml:3: rules[0].match.port: bad port "http": want a number from 1 to 65535`},
		{"bad port list", "rules:\n  - action: allow\n    match: {port: [80, 443]}\n",
			`p.yaml:3: rules[0].match.port: want a single value, got a list`},
		{"bad exposure", "rules:\n  - action: allow\n    match:\n      exposure: public\n",
			`p.yaml:4: rules[0].match.exposure: bad exposure "public": want all-interfaces, loopback, specific, host-network or local`},
		{"bad proto", "rules:\n  - action: allow\n    match: {proto: tcp6}\n",
			`p.yaml:3: rules[0].match.proto: bad proto "tcp6": want tcp, udp or unix`},
		{"bad glob", "rules:\n  - action: allow\n    match: {pod: 'web-[a'}\n",
			`p.yaml:3: rules[0].match.pod: bad glob "web-[a": syntax error in pattern`},
		{"bad description", "rules:\n  - action: allow\n    description: {a: b}\n",
			`p.yaml:3: rules[0].description: want a single value, got a mapping`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy("p.yaml", []byte(tc.doc))
			if err == nil {
				t.Fatalf("ParsePolicy = %+v, want error %q", p, tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("ParsePolicy error\n got: %s\nwant: %s", got, tc.want)
			}
			if !errors.Is(err, ErrBadPolicy) {
				t.Errorf("error %v does not wrap ErrBadPolicy", err)
			}
		})
	}
}

func TestLoadPolicyErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	if _, err := LoadPolicy(missing); err == nil || err.Error() != missing+": cannot read policy: no such file or directory" || !errors.Is(err, ErrBadPolicy) {
		t.Errorf("LoadPolicy(missing) = %v", err)
	}
	if _, err := LoadPolicy(dir); err == nil || err.Error() != dir+": cannot read policy: not a regular file" {
		t.Errorf("LoadPolicy(dir) = %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("#"+strings.Repeat("x", maxPolicySize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPolicy(big); err == nil || err.Error() != big+": policy larger than 1048576 bytes" {
		t.Errorf("LoadPolicy(big) = %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("default: deny\nrules:\n  - action: allow\n    match: {port: 90-80}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPolicy(bad); err == nil || err.Error() != bad+`:4: rules[0].match.port: bad port range "90-80": start 90 is greater than end 80` {
		t.Errorf("LoadPolicy(bad) = %v", err)
	}
}

// A FIFO named as the policy has no writer: a plain open would block forever.
func TestLoadPolicyFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "policy.yaml")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadPolicy(p); done <- err }()
	select {
	case err := <-done:
		if err == nil || err.Error() != p+": cannot read policy: not a regular file" || !errors.Is(err, ErrBadPolicy) {
			t.Errorf("LoadPolicy(fifo) = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("LoadPolicy blocked on a FIFO")
	}
}

// bigPolicy is a policy of about size bytes whose last line is badly indented.
func bigPolicy(size int) (data []byte, lastLine int) {
	var b strings.Builder
	b.WriteString("default: deny\nrules:\n")
	for i := 0; b.Len() < size-100; i++ {
		fmt.Fprintf(&b, "  - action: allow\n    match:\n      port: \"%d\"\n    description: rule %d\n", 1+i%60000, i)
	}
	b.WriteString("  - action: allow\n    match:\n      port: 80\n     bad: indent\n")
	return []byte(b.String()), strings.Count(b.String(), "\n")
}

// A 1 MB policy with a syntax error on its last line: the line is found with
// a handful of prefix parses, not one per halving of 55,000 lines (which took
// 13.8 s).
func TestBigPolicyErrorLineIsCheap(t *testing.T) {
	data, last := bigPolicy(maxPolicySize)
	pp := policyParser{name: "big.yaml"}
	_, err := ParsePolicy("big.yaml", data)
	if err == nil {
		t.Fatal("bad policy accepted")
	}
	err = pp.yamlErr(data, firstYAMLError(data))
	want := fmt.Sprintf("big.yaml:%d: bad YAML: did not find expected key", last)
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if pp.parses > 8 {
		t.Errorf("%d prefix parses of a %d-line policy, want at most 8", pp.parses, last)
	}
	t.Logf("%d lines, %d prefix parses", last, pp.parses)
}

// FuzzParsePolicy checks that no input panics, that every error names the
// file and wraps ErrBadPolicy, and that an accepted policy evaluates.
func FuzzParsePolicy(f *testing.F) {
	seeds, err := filepath.Glob("../testdata/audit/policies/*.yaml")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("rules:\n  - action: allow\n   match: {}\n"))
	f.Add([]byte("rules: [{action: deny, match: {port: 1-2, proto: udp}}]"))
	ls := []Listener{
		listenerSpec{ns: "a", pod: "b", ctr: "c", program: "d", proto: inspect.ProtoTCP, addr: "0.0.0.0", port: 80}.listener(),
		listenerSpec{proto: inspect.ProtoUnix, unixPath: "/x", host: true}.listener(),
		{},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml:") || !errors.Is(err, ErrBadPolicy) {
				t.Fatalf("error %q does not name the file or wrap ErrBadPolicy", err)
			}
			return
		}
		for _, l := range ls {
			v := p.Evaluate(l)
			if v.Rule < -1 || v.Rule >= len(p.Rules) {
				t.Fatalf("Evaluate rule %d out of range", v.Rule)
			}
		}
	})
}
