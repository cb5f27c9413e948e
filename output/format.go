package output

import "fmt"

// Format is an output format of --output.
type Format uint8

// Output formats.
const (
	FormatText Format = iota
	FormatWide
	FormatJSON
	FormatNDJSON
)

var formatNames = [...]string{"text", "wide", "json", "ndjson"}

// ParseFormat parses an --output value.
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if s == n {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("unknown output format %q (want text, wide, json or ndjson)", s)
}

// String returns the format's name.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "text"
}

// IsJSON reports whether the format is JSON or NDJSON.
func (f Format) IsJSON() bool { return f == FormatJSON || f == FormatNDJSON }
