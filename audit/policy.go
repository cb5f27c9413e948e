package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/internal/safefile"
)

// ErrBadPolicy is wrapped by every error LoadPolicy and ParsePolicy return;
// the command maps it to exit code 2.
var ErrBadPolicy = errors.New("bad policy")

// maxPolicySize bounds the policy read: a policy is a few rules, and a
// runaway file (or /dev/zero) must not be read whole.
const maxPolicySize = 1 << 20

// PolicyError is a problem in a policy file. Error gives "FILE:LINE: problem"
// ("FILE: problem" when no line is known).
type PolicyError struct {
	File    string
	Line    int
	Problem string
}

func (e *PolicyError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Problem)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Problem)
}

// Unwrap makes errors.Is(err, ErrBadPolicy) true.
func (e *PolicyError) Unwrap() error { return ErrBadPolicy }

// Action is what a rule does with the listeners it matches.
type Action uint8

// Actions. The zero Action is invalid and never appears in a parsed Policy.
const (
	ActionAllow Action = iota + 1
	ActionDeny
)

// String returns the policy word.
func (a Action) String() string {
	switch a {
	case ActionAllow:
		return "allow"
	case ActionDeny:
		return "deny"
	}
	return "invalid"
}

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// PortRange is an inclusive port range; a single port has Lo == Hi.
type PortRange struct{ Lo, Hi uint16 }

// String returns "80" or "8000-8080".
func (r PortRange) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// Match is the condition of a rule. A nil or empty field matches anything;
// every set field must match (AND). Glob fields use path.Match syntax and
// match only known values, except the empty pattern "", which matches only
// an unknown value (a listener with no pod, no container or no process).
type Match struct {
	Namespace *string // pod namespace
	Pod       *string // pod name
	Container *string // container name
	Runtime   *string // runtime word: containerd, cri-o, docker, podman, lxc, nspawn, unknown
	Program   *string // program name (netstat -p's name)
	// Proto is "tcp", "udp" (UDP and UDP-Lite) or "unix", IPv4 and IPv6
	// alike; "" matches any.
	Proto string
	Port  *PortRange
	// Exposure is an Exposure word or "host-network"; "" matches any.
	Exposure string
}

// Rule is one entry of the policy's rules list.
type Rule struct {
	Action      Action
	Match       Match
	Description string
	// Line is the line of the rule in the policy file.
	Line int
}

// Policy is a parsed policy file. Rules are tried in order, the first match
// decides, and Default decides for a listener no rule matches.
type Policy struct {
	// Name is the file name, used in messages.
	Name    string
	Default Action
	Rules   []Rule
}

// Verdict is a policy's decision on one listener.
type Verdict struct {
	Allowed bool
	// Rule is the index of the deciding rule, -1 when the default decided.
	Rule int
	// Reason says in words which rule decided.
	Reason string
}

// LoadPolicy reads and parses the policy file at p (at most 1 MiB).
func LoadPolicy(p string) (*Policy, error) {
	// A FIFO or device given as the policy must not hang the audit: the
	// open never blocks and the file must be regular.
	data, err := safefile.ReadFile(p, maxPolicySize)
	switch {
	case errors.Is(err, safefile.ErrTooLarge):
		return nil, &PolicyError{File: p, Problem: fmt.Sprintf("policy larger than %d bytes", maxPolicySize)}
	case errors.Is(err, safefile.ErrNotRegular):
		return nil, &PolicyError{File: p, Problem: "cannot read policy: not a regular file"}
	case err != nil:
		return nil, &PolicyError{File: p, Problem: "cannot read policy: " + pathErrText(err)}
	}
	return ParsePolicy(p, data)
}

// pathErrText drops the path an *os.PathError repeats, since PolicyError
// already starts with it.
func pathErrText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ParsePolicy parses a policy document; name is the file name used in error
// messages. Unknown fields, duplicate fields and bad values are errors that
// give the line.
func ParsePolicy(name string, data []byte) (*Policy, error) {
	pp := policyParser{name: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, pp.errf(1, "empty policy: want a mapping with default and rules")
		}
		return nil, pp.yamlErr(data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, pp.yamlErr(data, err)
		}
		return nil, pp.errf(extra.Line, "more than one YAML document; a policy is one document")
	}
	return pp.policy(&doc)
}

// yamlSyntax splits the YAML library's syntax errors, which are plain
// strings ("yaml: line 3: did not find expected key"; the line is left out
// when it is the first).
var yamlSyntax = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

type policyParser struct {
	name string
	// parses counts the prefix parses yamlErr made (tests bound it).
	parses int
}

func (pp *policyParser) errf(line int, format string, args ...any) error {
	return &PolicyError{File: pp.name, Line: line, Problem: fmt.Sprintf(format, args...)}
}

// yamlErr turns a YAML syntax error of data into a PolicyError. The
// library's line is where the enclosing construct starts (a rule's "- "),
// not where the problem is, and some errors carry no line at all, so the
// line is found again: the shortest prefix of whole lines that fails with the
// same problem ends on the line that has it. A truncated block-style
// document is still valid YAML, so for the usual mistakes (indentation, a
// missing colon, a stray tab) that line is exact; the library's line is the
// fallback.
func (pp *policyParser) yamlErr(data []byte, err error) error {
	m := yamlSyntax.FindStringSubmatch(err.Error())
	if m == nil {
		return pp.errf(0, "bad YAML: %v", err)
	}
	problem := m[2]
	line := 1
	if m[1] != "" {
		line, _ = strconv.Atoi(m[1])
	}
	ends := lineEnds(data)
	same := func(k int) bool {
		pp.parses++
		e := firstYAMLError(data[:ends[k-1]])
		if e == nil {
			return false
		}
		mm := yamlSyntax.FindStringSubmatch(e.Error())
		return mm != nil && mm[2] == problem
	}
	lo, hi := 1, len(ends)
	if hi > 0 && same(hi) {
		// The problem is at or after the library's line, usually a few lines
		// on: gallop forward from there, so a big policy is parsed a handful
		// of times rather than log2(lines) times.
		if line > 1 && line < hi {
			if same(line) {
				hi = line
			} else {
				lo = line + 1
				for step := 1; line+step < hi; step *= 2 {
					if same(line + step) {
						hi = line + step
						break
					}
					lo = line + step + 1
				}
			}
		}
		for lo < hi {
			mid := lo + (hi-lo)/2
			if same(mid) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		line = hi
	}
	return pp.errf(line, "bad YAML: %s", problem)
}

// lineEnds returns the offset just past each line of data (the last line
// may lack its newline).
func lineEnds(data []byte) []int {
	var ends []int
	for i, b := range data {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		ends = append(ends, len(data))
	}
	return ends
}

// firstYAMLError decodes every document of data and returns the first error.
func firstYAMLError(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// fields walks a mapping node, rejecting unknown and repeated keys, and
// calls set for each known one.
func (pp *policyParser) fields(n *yaml.Node, where string, known []string, set func(key string, v *yaml.Node) error) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return pp.errf(k.Line, "%s: field names must be plain words", where)
		}
		if !contains(known, k.Value) {
			return pp.errf(k.Line, "%s: unknown field %q; known fields: %s", where, k.Value, strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return pp.errf(k.Line, "%s: field %q given twice", where, k.Value)
		}
		seen[k.Value] = true
		if err := set(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (pp *policyParser) policy(doc *yaml.Node) (*Policy, error) {
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, pp.errf(1, "empty policy: want a mapping with default and rules")
		}
		root = deref(root.Content[0])
	}
	if root.Kind != yaml.MappingNode {
		return nil, pp.errf(root.Line, "policy: want a mapping with default and rules, got %s", kindName(root))
	}
	p := &Policy{Name: pp.name, Default: ActionDeny}
	err := pp.fields(root, "policy", []string{"default", "rules"}, func(key string, v *yaml.Node) error {
		switch key {
		case "default":
			a, err := pp.action(v, "default")
			p.Default = a
			return err
		default: // rules
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				return nil // "rules:" with nothing: only the default applies
			}
			if v.Kind != yaml.SequenceNode {
				return pp.errf(v.Line, "rules: want a list of rules, got %s", kindName(v))
			}
			for i, rn := range v.Content {
				r, err := pp.rule(deref(rn), i)
				if err != nil {
					return err
				}
				p.Rules = append(p.Rules, r)
			}
			return nil
		}
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (pp *policyParser) scalar(v *yaml.Node, where string) (string, error) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", pp.errf(v.Line, "%s: want a single value, got %s", where, kindName(v))
	}
	return v.Value, nil
}

func (pp *policyParser) action(v *yaml.Node, where string) (Action, error) {
	s, err := pp.scalar(v, where)
	if err != nil {
		return 0, err
	}
	switch s {
	case "allow":
		return ActionAllow, nil
	case "deny":
		return ActionDeny, nil
	}
	return 0, pp.errf(v.Line, "%s: bad action %q: want allow or deny", where, s)
}

func (pp *policyParser) rule(n *yaml.Node, i int) (Rule, error) {
	where := fmt.Sprintf("rules[%d]", i)
	if n.Kind != yaml.MappingNode {
		return Rule{}, pp.errf(n.Line, "%s: want a mapping with action and match, got %s", where, kindName(n))
	}
	r := Rule{Line: n.Line}
	err := pp.fields(n, where, []string{"action", "match", "description"}, func(key string, v *yaml.Node) error {
		var err error
		switch key {
		case "action":
			r.Action, err = pp.action(v, where+".action")
		case "description":
			r.Description, err = pp.scalar(v, where+".description")
		case "match":
			r.Match, err = pp.match(v, where+".match")
		}
		return err
	})
	if err != nil {
		return Rule{}, err
	}
	if r.Action == 0 {
		return Rule{}, pp.errf(n.Line, "%s: missing action: want allow or deny", where)
	}
	return r, nil
}

var matchFields = []string{"namespace", "pod", "container", "runtime", "program", "proto", "port", "exposure"}

func (pp *policyParser) match(n *yaml.Node, where string) (Match, error) {
	var m Match
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return m, nil // "match:" alone matches everything, like "match: {}"
	}
	if n.Kind != yaml.MappingNode {
		return m, pp.errf(n.Line, "%s: want a mapping of %s, got %s", where, strings.Join(matchFields, ", "), kindName(n))
	}
	err := pp.fields(n, where, matchFields, func(key string, v *yaml.Node) error {
		w := where + "." + key
		s, err := pp.scalar(v, w)
		if err != nil {
			return err
		}
		switch key {
		case "namespace", "pod", "container", "runtime", "program":
			if _, err := path.Match(s, ""); err != nil {
				return pp.errf(v.Line, "%s: bad glob %q: %v", w, s, err)
			}
			g := &s
			switch key {
			case "namespace":
				m.Namespace = g
			case "pod":
				m.Pod = g
			case "container":
				m.Container = g
			case "runtime":
				m.Runtime = g
			case "program":
				m.Program = g
			}
		case "proto":
			if s != "tcp" && s != "udp" && s != "unix" {
				return pp.errf(v.Line, "%s: bad proto %q: want tcp, udp or unix", w, s)
			}
			m.Proto = s
		case "port":
			r, err := parsePortRange(s)
			if err != nil {
				return pp.errf(v.Line, "%s: %v", w, err)
			}
			m.Port = &r
		case "exposure":
			if !validExposure(s) {
				return pp.errf(v.Line, "%s: bad exposure %q: want all-interfaces, loopback, specific, host-network or local", w, s)
			}
			m.Exposure = s
		}
		return nil
	})
	return m, err
}

func validExposure(s string) bool {
	switch s {
	case "all-interfaces", "loopback", "specific", "local", "host-network":
		return true
	}
	return false
}

// parsePortRange parses "80" or "8000-8080" (ports 1-65535, start <= end).
func parsePortRange(s string) (PortRange, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := parsePort(lo)
	if err != nil {
		return PortRange{}, fmt.Errorf("bad port %q: %w", s, err)
	}
	if !isRange {
		return PortRange{a, a}, nil
	}
	b, err := parsePort(hi)
	if err != nil {
		return PortRange{}, fmt.Errorf("bad port range %q: %w", s, err)
	}
	if a > b {
		return PortRange{}, fmt.Errorf("bad port range %q: start %d is greater than end %d", s, a, b)
	}
	return PortRange{a, b}, nil
}

var errPortNumber = errors.New("want a number from 1 to 65535")

func parsePort(s string) (uint16, error) {
	// Digits only, so that signs, spaces and underscores never pass as a port.
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errPortNumber
	}
	v, err := strconv.ParseUint(s, 10, 16)
	if err != nil || v == 0 {
		return 0, errPortNumber
	}
	return uint16(v), nil
}

// Evaluate returns the decision of the first rule that matches l, or of the
// default when none does.
func (p *Policy) Evaluate(l Listener) Verdict {
	for i := range p.Rules {
		r := &p.Rules[i]
		if !r.Match.matches(&l) {
			continue
		}
		reason := fmt.Sprintf("rules[%d] (line %d)", i, r.Line)
		if r.Description != "" {
			reason = fmt.Sprintf("rules[%d]: %s", i, r.Description)
		}
		return Verdict{Allowed: r.Action == ActionAllow, Rule: i, Reason: reason}
	}
	return Verdict{Allowed: p.Default == ActionAllow, Rule: -1, Reason: "default: " + p.Default.String()}
}

func (m *Match) matches(l *Listener) bool {
	var ns, pod, ctr, rt string
	if c := l.Container; c != nil {
		ctr, rt = c.Name, c.Runtime.String()
		if c.Pod != nil {
			ns, pod = c.Pod.Namespace, c.Pod.Name
		}
	}
	if !globMatch(m.Namespace, ns) || !globMatch(m.Pod, pod) || !globMatch(m.Container, ctr) ||
		!globMatch(m.Runtime, rt) || !globMatch(m.Program, l.Program()) {
		return false
	}
	switch m.Proto {
	case "tcp":
		if !l.Proto.IsTCP() {
			return false
		}
	case "udp":
		if !l.Proto.IsUDP() {
			return false
		}
	case "unix":
		if l.Proto != inspect.ProtoUnix {
			return false
		}
	}
	if m.Port != nil {
		if l.Proto == inspect.ProtoUnix || l.Port < m.Port.Lo || l.Port > m.Port.Hi {
			return false
		}
	}
	switch m.Exposure {
	case "":
	case "host-network":
		if !l.HostNetwork {
			return false
		}
	default:
		if l.Exposure.String() != m.Exposure {
			return false
		}
	}
	return true
}

// globMatch: nil matches anything, "" only an unknown value, any other
// pattern only a known value it matches.
func globMatch(pattern *string, v string) bool {
	if pattern == nil {
		return true
	}
	if *pattern == "" || v == "" {
		return *pattern == v
	}
	ok, _ := path.Match(*pattern, v) // checked at parse time
	return ok
}
