package output

import (
	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// NewRoute4Record tags r with its namespace and owner.
func NewRoute4Record(r *inspect.Route4, ns *inspect.Netns, c *inspect.Container) wire.Route4Record {
	return wire.Route4Record{Family: "inet", Route4: r, Netns: NewNetnsRecord(ns), Container: NewContainerRecord(c)}
}

// NewRoute6Record tags r with its namespace and owner.
func NewRoute6Record(r *inspect.Route6, ns *inspect.Netns, c *inspect.Container) wire.Route6Record {
	return wire.Route6Record{Family: "inet6", Route6: r, Netns: NewNetnsRecord(ns), Container: NewContainerRecord(c)}
}

// NewInterfaceRecord tags an interface with its namespace and owner.
func NewInterfaceRecord(i *inspect.Interface, ns *inspect.Netns, c *inspect.Container) wire.InterfaceRecord {
	return wire.InterfaceRecord{Interface: i, Netns: NewNetnsRecord(ns), Container: NewContainerRecord(c)}
}

// NewStatsRecord gathers the counters of one namespace.
func NewStatsRecord(secs []inspect.SnmpSection, ns *inspect.Netns, c *inspect.Container) wire.StatsRecord {
	m := map[string]map[string]uint64{}
	for _, s := range secs {
		sec := m[s.Title]
		if sec == nil {
			sec = map[string]uint64{}
			m[s.Title] = sec
		}
		for i, k := range s.Keys {
			if i < len(s.Values) {
				sec[k] = s.Values[i]
			}
		}
	}
	return wire.StatsRecord{Statistics: m, Netns: NewNetnsRecord(ns), Container: NewContainerRecord(c)}
}
