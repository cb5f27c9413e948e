package report

import (
	"io"
	"strconv"

	"github.com/kubectl-netstat/kubectl-netstat/audit"
	"github.com/kubectl-netstat/kubectl-netstat/output"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

func newPeerCountRecords(counts []audit.PeerCount) *[]wire.PeerCountRecord {
	out := make([]wire.PeerCountRecord, len(counts))
	for i, c := range counts {
		out[i] = wire.PeerCountRecord{Peer: c.Peer, Count: c.Count}
		if c.Kind != "" {
			out[i].Kind = ptr(c.Kind)
		}
	}
	return &out
}

// WriteWideTable renders the audit table with a PEERS column: who is
// connected to each listener, "PEER=N" joined by commas ("-" for none).
func WriteWideTable(w io.Writer, rows []Row) error {
	header := append(append([]string{}, auditHeader...), "PEERS")
	cells := auditCells(rows, nil)
	for i := range cells {
		cells[i] = append(cells[i], peersText(rows[i].Peers))
	}
	return output.WriteTable(w, header, cells)
}

func peersText(counts []audit.PeerCount) string {
	if len(counts) == 0 {
		return "-"
	}
	b := make([]byte, 0, 32*len(counts))
	for i, c := range counts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, c.Peer...)
		b = append(b, '=')
		b = strconv.AppendInt(b, int64(c.Count), 10)
	}
	return string(b)
}
