package wire

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// Array writes one indented JSON array element by element, so -o json
// streams one namespace at a time instead of holding the host's records.
// The zero value is ready; Close ends the array ("[]" when it had no
// element). HTML characters are not escaped.
type Array struct {
	n   int
	buf bytes.Buffer
	enc *json.Encoder
}

// Len is the number of elements written so far.
func (a *Array) Len() int { return a.n }

// Add writes one element; rec may be a record or the json.RawMessage of one
// (an agent's record is re-indented, byte for byte as if encoded here).
func (a *Array) Add(w io.Writer, rec any) error {
	if a.enc == nil {
		a.enc = json.NewEncoder(&a.buf)
		a.enc.SetEscapeHTML(false)
		a.enc.SetIndent("  ", "  ")
	}
	a.buf.Reset()
	if a.n == 0 {
		a.buf.WriteString("[\n  ")
	} else {
		a.buf.WriteString(",\n  ")
	}
	if err := a.enc.Encode(rec); err != nil {
		return err
	}
	a.buf.Truncate(a.buf.Len() - 1) // Encode's newline
	a.n++
	_, err := w.Write(a.buf.Bytes())
	return err
}

// Close ends the array.
func (a *Array) Close(w io.Writer) error {
	end := "\n]\n"
	if a.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(w, end)
	return err
}

// WriteJSON writes records as one indented JSON array ("[]" when empty).
func WriteJSON[T any](w io.Writer, records []T) error {
	var a Array
	for i := range records {
		if err := a.Add(w, records[i]); err != nil {
			return err
		}
	}
	return a.Close(w)
}

// WriteNDJSON writes one record as one compact JSON line.
func WriteNDJSON(w io.Writer, record any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(record)
}

// LineWriter wraps every line written to it as a LineRecord on its own
// NDJSON line: how an agent sends netstat's text through a pod log with
// every byte intact. A last line without a newline is held until one comes.
type LineWriter struct {
	w   io.Writer
	buf bytes.Buffer
}

// NewLineWriter returns a LineWriter writing to w.
func NewLineWriter(w io.Writer) *LineWriter { return &LineWriter{w: w} }

func (l *LineWriter) Write(p []byte) (int, error) {
	l.buf.Write(p)
	for {
		i := bytes.IndexByte(l.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(l.buf.Next(i + 1))
		if err := WriteNDJSON(l.w, LineRecord{Line: strings.TrimSuffix(line, "\n")}); err != nil {
			return 0, err
		}
	}
}
