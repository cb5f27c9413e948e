package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLine bounds one NDJSON line read from an agent: a socket record is well
// under 4 KiB and a -s record a few KiB; a longer line is a broken stream.
const MaxLine = 1 << 20

// Frame is one line of an agent's NDJSON stream: a line of netstat text
// (IsLine, Line) or a record, kept as the bytes the agent wrote.
type Frame struct {
	IsLine bool
	Line   string
	Record json.RawMessage
}

// ErrNotObject is returned by DecodeFrame for a line that is not one JSON object.
var ErrNotObject = errors.New("wire: not a JSON object")

// DecodeFrame decodes one NDJSON line. An object whose only key is "line"
// with a string value is a text line (LineRecord); any other object is a
// record, copied out of b.
func DecodeFrame(b []byte) (Frame, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return Frame{}, ErrNotObject
	}
	if raw, ok := obj["line"]; ok && len(obj) == 1 {
		var line string
		if err := json.Unmarshal(raw, &line); err != nil {
			return Frame{}, fmt.Errorf("wire: line: %w", err)
		}
		return Frame{IsLine: true, Line: line}, nil
	}
	return Frame{Record: json.RawMessage(bytes.Clone(bytes.TrimSpace(b)))}, nil
}

// Reader reads an agent's NDJSON stream frame by frame. Lines that are not
// frames (a pod log may carry a runtime's own line) are skipped.
type Reader struct {
	sc *bufio.Scanner
	f  Frame
}

// NewReader reads frames from r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	return &Reader{sc: sc}
}

// Next advances to the next frame; false at the end or on a read error (Err).
func (r *Reader) Next() bool {
	for r.sc.Scan() {
		f, err := DecodeFrame(r.sc.Bytes())
		if err != nil {
			continue
		}
		r.f = f
		return true
	}
	return false
}

// Frame is the current frame.
func (r *Reader) Frame() Frame { return r.f }

// Err is the read error that ended Next, nil at a clean end; a line longer
// than MaxLine is bufio.ErrTooLong.
func (r *Reader) Err() error { return r.sc.Err() }

// DecodeAudit decodes one audit record (an agent's `audit --output ndjson`
// line, or a Frame's Record).
func DecodeAudit(b []byte) (AuditRecord, error) {
	var rec AuditRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return AuditRecord{}, fmt.Errorf("audit record: %w", err)
	}
	return rec, nil
}

// SplitLog reads an agent pod's log: it copies the NDJSON record lines (those
// that start with '{') to out, one per line, as they arrive, and returns the
// other non-empty lines (the agent's stderr, which the kubelet interleaves
// into the log) as diagnostics. A record line that is not one complete JSON
// object, or a line over MaxLine, is an error.
func SplitLog(r io.Reader, out io.Writer) (diag []string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		switch {
		case len(line) == 0:
		case line[0] == '{':
			if !json.Valid(line) {
				return diag, fmt.Errorf("line %d: not a complete JSON object: %.80q", n, line)
			}
			if _, err := out.Write(append(line, '\n')); err != nil {
				return diag, err
			}
		default:
			diag = append(diag, string(line))
		}
	}
	if err := sc.Err(); err != nil {
		return diag, fmt.Errorf("line %d: %w", n+1, err)
	}
	return diag, nil
}
