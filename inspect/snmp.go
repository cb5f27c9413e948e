package inspect

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// maxSnmpBytes caps the read of one counters file (they are a few KiB).
const maxSnmpBytes = 16 << 20

// SnmpSection is one titled group of counters from /proc/net/snmp,
// /proc/net/netstat or /proc/net/snmp6, keys in file order. Values are read
// as C's strtoull reads them (netstat does): "-1" (Tcp MaxConn) becomes
// 18446744073709551615.
type SnmpSection struct {
	Title  string   `json:"title"`
	Keys   []string `json:"keys"`
	Values []uint64 `json:"values"`
}

// ReadSnmp reads an already-open /proc/net/snmp or /proc/net/netstat (both
// use "Title: keys…" / "Title: values…" line pairs).
func ReadSnmp(f *os.File) ([]SnmpSection, error) {
	ss, err := parseSnmp(io.LimitReader(f, maxSnmpBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return ss, nil
}

// ReadSnmp6 reads an already-open /proc/net/snmp6 ("Key value" per line).
func ReadSnmp6(f *os.File) ([]SnmpSection, error) {
	ss, err := parseSnmp6(io.LimitReader(f, maxSnmpBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return ss, nil
}

// parseSnmp parses line pairs. Blank lines between pairs are skipped, as
// netstat skips the empty first line of some 2.6 kernels.
//
// Hand-written: procfs's Snmp/Netstat/Snmp6 keep fixed fields as float64
// (counters above 2^53 lose digits, Tcp MaxConn -1 is not strtoull's), drop
// keys it does not know and lose file order; netstat -s prints all, in order.
func parseSnmp(r io.Reader) ([]SnmpSection, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 16384), 1<<20)
	ss := []SnmpSection{}
	ln := 0
	for s.Scan() {
		ln++
		keys := s.Text()
		if strings.TrimSpace(keys) == "" {
			continue
		}
		if !s.Scan() {
			if err := s.Err(); err != nil {
				break
			}
			return nil, fmt.Errorf("line %d: %w: key line without a value line", ln, ErrParse)
		}
		ln++
		sec, err := parseSnmpPair(keys, s.Text())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", ln, err)
		}
		ss = append(ss, sec)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrParse, err)
	}
	return ss, nil
}

// parseSnmpPair parses "Tcp: RtoAlgorithm RtoMin …" and "Tcp: 1 200 …".
func parseSnmpPair(keyLine, valLine string) (SnmpSection, error) {
	var sec SnmpSection
	kt, kr, ok := strings.Cut(keyLine, ":")
	if !ok {
		return sec, fmt.Errorf("%w: no ':' in %q", ErrParse, keyLine)
	}
	vt, vr, ok := strings.Cut(valLine, ":")
	if !ok {
		return sec, fmt.Errorf("%w: no ':' in %q", ErrParse, valLine)
	}
	if kt != vt {
		return sec, fmt.Errorf("%w: title %q followed by %q", ErrParse, kt, vt)
	}
	if kt == "" || strings.ContainsAny(kt, " \t") {
		return sec, fmt.Errorf("%w: bad title %q", ErrParse, kt)
	}
	sec.Title = kt
	sec.Keys = strings.Fields(kr)
	vals := strings.Fields(vr)
	if len(vals) != len(sec.Keys) {
		return sec, fmt.Errorf("%w: %s: %d keys but %d values", ErrParse, kt, len(sec.Keys), len(vals))
	}
	sec.Values = make([]uint64, len(vals))
	for i, v := range vals {
		n, err := parseCULongLong(v)
		if err != nil {
			return sec, fmt.Errorf("%s %s: %w", kt, sec.Keys[i], err)
		}
		sec.Values[i] = n
	}
	return sec, nil
}

// parseSnmp6 parses "Ip6InReceives   1" lines. Sections are the runs of keys
// sharing a title, the key prefix up to and including the first '6'
// ("Icmp6InMsgs" → "Icmp6"), as netstat groups them.
func parseSnmp6(r io.Reader) ([]SnmpSection, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), 64*1024)
	ss := []SnmpSection{}
	for ln := 1; s.Scan(); ln++ {
		if strings.TrimSpace(s.Text()) == "" {
			continue
		}
		key, val, err := parseSnmp6Line(s.Text())
		if err != nil {
			return nil, fmt.Errorf("snmp6 line %d: %w", ln, err)
		}
		// netstat opens a new section when the key does not start with the current title.
		if n := len(ss); n == 0 || !strings.HasPrefix(key, ss[n-1].Title) {
			ss = append(ss, SnmpSection{Title: snmp6Title(key)})
		}
		cur := &ss[len(ss)-1]
		cur.Keys = append(cur.Keys, key)
		cur.Values = append(cur.Values, val)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("snmp6: %w: %v", ErrParse, err)
	}
	return ss, nil
}

// parseSnmp6Line parses one "Key value" line.
func parseSnmp6Line(line string) (string, uint64, error) {
	f := strings.Fields(line)
	if len(f) != 2 {
		return "", 0, fmt.Errorf("%w: %d fields in %q, want 2", ErrParse, len(f), line)
	}
	v, err := parseCULongLong(f[1])
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", f[0], err)
	}
	return f[0], v, nil
}

// snmp6Title is the key's prefix up to and including the first '6'; a key
// without one is its own title (netstat would crash on it).
func snmp6Title(key string) string {
	if i := strings.IndexByte(key, '6'); i >= 0 {
		return key[:i+1]
	}
	return key
}

// parseCULongLong parses a decimal as strtoull does for valid input: a
// leading '-' negates modulo 2^64, overflow saturates.
func parseCULongLong(s string) (uint64, error) {
	neg := false
	digits := s
	switch {
	case strings.HasPrefix(s, "-"):
		neg, digits = true, s[1:]
	case strings.HasPrefix(s, "+"):
		digits = s[1:]
	}
	if digits == "" || digits[0] == '+' || digits[0] == '-' {
		return 0, fmt.Errorf("%w: %q is not a number", ErrParse, s)
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return math.MaxUint64, nil
		}
		return 0, fmt.Errorf("%w: %q is not a number", ErrParse, s)
	}
	if neg {
		v = -v
	}
	return v, nil
}
