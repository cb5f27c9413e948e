package output

import (
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// NamespaceRow is one line of `kubectl-netstat namespaces`.
type NamespaceRow struct {
	Netns *inspect.Netns
	// Sockets is the number of sockets in the namespace, -1 when it could not be read.
	Sockets int
}

// NewNamespaceRecord builds the JSON record of a namespace row.
func NewNamespaceRecord(r NamespaceRow) wire.NamespaceRecord {
	ns := r.Netns
	rec := wire.NamespaceRecord{Inode: ns.Inode, Kind: ns.Kind.String(), Names: nonNil(ns.Names), Owner: NewContainerRecord(ns.Attributed),
		PIDs: ns.PIDs, Containers: []*wire.ContainerRecord{}}
	if rec.PIDs == nil {
		rec.PIDs = []int{}
	}
	for _, c := range ns.Containers {
		rec.Containers = append(rec.Containers, NewContainerRecord(c))
	}
	if r.Sockets >= 0 {
		n := r.Sockets
		rec.Sockets = &n
	}
	return rec
}

// WriteNamespaces renders the namespaces table.
func WriteNamespaces(w io.Writer, rows []NamespaceRow) error {
	header := []string{"NETNS", "KIND", "RUNTIME", "POD", "CONTAINERS", "PROCESSES", "SOCKETS", "NAMES"}
	cells := make([][]string, 0, len(rows))
	for _, r := range rows {
		ns := r.Netns
		runtime, pod := "-", "-"
		if o := ns.Attributed; o != nil {
			runtime = o.Runtime.String()
			pod = ContainerPodText(o)
		}
		var names []string
		for _, c := range ns.Containers {
			if c.Sandbox {
				continue
			}
			if c.Name != "" {
				names = append(names, c.Name)
			} else {
				names = append(names, shortID(c.ID))
			}
			if runtime == "-" {
				runtime = c.Runtime.String()
			}
		}
		slices.Sort(names) // as the "# netns" lines list them; container IDs are random
		sockets := "?"
		if r.Sockets >= 0 {
			sockets = strconv.Itoa(r.Sockets)
		}
		cells = append(cells, []string{strconv.FormatUint(ns.Inode, 10), ns.Kind.String(), runtime, pod,
			dash(strings.Join(names, ",")), strconv.Itoa(len(ns.PIDs)), sockets, dash(strings.Join(ns.Names, ","))})
	}
	return WriteTable(w, header, cells)
}

// NewContainerListRecord builds the JSON record of a container.
func NewContainerListRecord(c *inspect.Container) wire.ContainerListRecord {
	pids := c.PIDs
	if pids == nil {
		pids = []int{}
	}
	return wire.ContainerListRecord{ContainerRecord: NewContainerRecord(c), Sandbox: c.Sandbox, PIDs: pids,
		NetnsInode: c.NetnsInode, Confidence: c.Confidence.String()}
}

// WriteContainers renders the containers table.
func WriteContainers(w io.Writer, cs []*inspect.Container) error {
	header := []string{"RUNTIME", "ID", "NAME", "IMAGE", "POD", "PIDS", "NETNS"}
	cells := make([][]string, 0, len(cs))
	for _, c := range cs {
		pod := ContainerPodText(c)
		name := c.Name
		if c.Sandbox && name == "" {
			name = "(sandbox)"
		}
		pids := make([]string, len(c.PIDs))
		for i, p := range c.PIDs {
			pids[i] = strconv.Itoa(p)
		}
		netns := "-"
		if c.NetnsInode != 0 {
			netns = strconv.FormatUint(c.NetnsInode, 10)
		}
		if c.HostNetwork {
			netns += " (host)"
		}
		cells = append(cells, []string{c.Runtime.String(), shortID(c.ID), dash(name), dash(c.Image), pod,
			dash(strings.Join(pids, ",")), netns})
	}
	return WriteTable(w, header, cells)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
