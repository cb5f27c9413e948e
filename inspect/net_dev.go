package inspect

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// maxNetDevBytes caps the read of /proc/net/dev (about 200 bytes per device).
const maxNetDevBytes = 64 << 20

// DevStats are the sixteen counters of one /proc/net/dev line.
type DevStats struct {
	RxBytes      uint64 `json:"rx_bytes"`
	RxPackets    uint64 `json:"rx_packets"`
	RxErrs       uint64 `json:"rx_errs"`
	RxDrop       uint64 `json:"rx_drop"`
	RxFifo       uint64 `json:"rx_fifo"`
	RxFrame      uint64 `json:"rx_frame"`
	RxCompressed uint64 `json:"rx_compressed"`
	RxMulticast  uint64 `json:"rx_multicast"`
	TxBytes      uint64 `json:"tx_bytes"`
	TxPackets    uint64 `json:"tx_packets"`
	TxErrs       uint64 `json:"tx_errs"`
	TxDrop       uint64 `json:"tx_drop"`
	TxFifo       uint64 `json:"tx_fifo"`
	TxColls      uint64 `json:"tx_colls"`
	TxCarrier    uint64 `json:"tx_carrier"`
	TxCompressed uint64 `json:"tx_compressed"`
}

// NetDev is one device of /proc/net/dev.
type NetDev struct {
	Name  string   `json:"name"`
	Stats DevStats `json:"stats"`
}

// ReadNetDev reads an already-open /proc/net/dev of the wanted namespace.
func ReadNetDev(f *os.File) ([]NetDev, error) {
	ds, err := parseNetDev(io.LimitReader(f, maxNetDevBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return ds, nil
}

// parseNetDev parses /proc/net/dev: two title lines, then "name: 16 counters".
//
// Hand-written: procfs's NetDev is a map, without the file order netstat -i
// prints interfaces in.
func parseNetDev(r io.Reader) ([]NetDev, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), 64*1024)
	ds := []NetDev{}
	for ln := 1; s.Scan(); ln++ {
		if ln <= 2 {
			// netstat tells kernel formats apart by the second title line;
			// only the "compressed" (16 counter, since 2.2) one is current.
			if ln == 2 && !strings.Contains(s.Text(), "compressed") {
				return nil, fmt.Errorf("dev title: %w: unsupported format %q", ErrParse, s.Text())
			}
			continue
		}
		if strings.TrimSpace(s.Text()) == "" {
			continue
		}
		d, err := parseNetDevLine(s.Text())
		if err != nil {
			return nil, fmt.Errorf("dev line %d: %w", ln, err)
		}
		ds = append(ds, d)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("dev: %w: %v", ErrParse, err)
	}
	return ds, nil
}

// parseNetDevLine parses one device line. Device names cannot contain ':'
// (dev_valid_name), and large counters can touch the colon ("eth0:123"), so
// the name ends at the first colon.
func parseNetDevLine(line string) (NetDev, error) {
	var d NetDev
	name, rest, ok := strings.Cut(line, ":")
	if !ok {
		return d, fmt.Errorf("%w: no ':' in %q", ErrParse, line)
	}
	d.Name = strings.TrimSpace(name)
	if d.Name == "" {
		return d, fmt.Errorf("%w: empty device name in %q", ErrParse, line)
	}
	f := strings.Fields(rest)
	if len(f) != 16 {
		return d, fmt.Errorf("%w: %s: %d counters, want 16", ErrParse, d.Name, len(f))
	}
	dst := [16]*uint64{&d.Stats.RxBytes, &d.Stats.RxPackets, &d.Stats.RxErrs, &d.Stats.RxDrop,
		&d.Stats.RxFifo, &d.Stats.RxFrame, &d.Stats.RxCompressed, &d.Stats.RxMulticast,
		&d.Stats.TxBytes, &d.Stats.TxPackets, &d.Stats.TxErrs, &d.Stats.TxDrop,
		&d.Stats.TxFifo, &d.Stats.TxColls, &d.Stats.TxCarrier, &d.Stats.TxCompressed}
	for i, s := range f {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return d, fmt.Errorf("%w: %s: counter %d %q", ErrParse, d.Name, i+1, s)
		}
		*dst[i] = v
	}
	return d, nil
}
