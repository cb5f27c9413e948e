package inspect

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// ParseNetUnix parses /proc/net/unix as netstat does: the title tells whether
// an Inode column exists, the path is the first whitespace-separated token
// after the fixed columns (a path with a space is cut there, as netstat cuts
// it), and lines with fewer than 6 fields are counted in bad and skipped.
//
// Hand-written: procfs's NetUNIX fails the whole table on one bad line
// (netstat skips it and warns "got bogus unix line") and only reads a path,
// while this file is opened inside the namespace and parsed outside it.
func ParseNetUnix(r io.Reader, out []Socket) (sockets []Socket, bad int, err error) {
	s := bufio.NewScanner(io.LimitReader(r, maxProcNetBytes))
	s.Buffer(make([]byte, 0, 4096), 64*1024)
	if !s.Scan() {
		return out, 0, s.Err()
	}
	hasInode := bytes.Contains(s.Bytes(), []byte("Inode"))
	for s.Scan() {
		line := s.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var sk Socket
		if err := parseNetUnixLine(line, hasInode, &sk); err != nil {
			bad++
			continue
		}
		out = append(out, sk)
	}
	if err := s.Err(); err != nil {
		return out, bad, fmt.Errorf("unix table: %w: %v", ErrParse, err)
	}
	return out, bad, nil
}

// parseNetUnixLine parses "Num: RefCount Protocol Flags Type St Inode [Path]".
func parseNetUnixLine(line []byte, hasInode bool, sk *Socket) error {
	var f [8][]byte
	n := 0
	for _, fld := range bytes.Fields(line) {
		if n == len(f) {
			break
		}
		f[n] = fld
		n++
	}
	if n < 6 {
		return fmt.Errorf("%w: %d fields, want 6", ErrParse, n)
	}
	hex := func(i int, name string) (uint64, error) {
		v, err := strconv.ParseUint(string(f[i]), 16, 32)
		if err != nil {
			return 0, fmt.Errorf("%w: %s %q", ErrParse, name, f[i])
		}
		return v, nil
	}
	u := &UnixInfo{NoInode: !hasInode}
	v, err := hex(1, "refcount")
	if err != nil {
		return err
	}
	u.RefCnt = uint32(v)
	if v, err = hex(2, "protocol"); err != nil {
		return err
	}
	u.Protocol = uint32(v)
	if v, err = hex(3, "flags"); err != nil {
		return err
	}
	u.Flags = UnixFlags(v)
	if v, err = hex(4, "type"); err != nil {
		return err
	}
	u.Type = UnixType(v)
	if v, err = hex(5, "state"); err != nil {
		return err
	}
	u.State = uint8(v)
	pathIdx := 6
	if hasInode && n > 6 {
		ino, err := strconv.ParseUint(string(f[6]), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: inode %q", ErrParse, f[6])
		}
		sk.Inode = ino
		pathIdx = 7
	}
	if n > pathIdx {
		u.Path = string(f[pathIdx])
	}
	sk.Proto = ProtoUnix
	sk.Unix = u
	return nil
}
