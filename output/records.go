package output

import (
	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// Route4Record is the JSON record of an IPv4 route (-r): /proc/net/route's
// columns plus the namespace and its owner.
type Route4Record struct {
	Family string `json:"family"`
	*inspect.Route4
	Netns     *NetnsRecord     `json:"netns"`
	Container *ContainerRecord `json:"container"`
	Time      string           `json:"time,omitempty"`
}

// NewRoute4Record tags r with its namespace and owner.
func NewRoute4Record(r *inspect.Route4, ns *inspect.Netns, c *inspect.Container) Route4Record {
	return Route4Record{Family: "inet", Route4: r, Netns: NewNetnsRecord(ns), Container: NewContainerRecord(c)}
}

// Route6Record is the JSON record of an IPv6 route (-r -6).
type Route6Record struct {
	Family string `json:"family"`
	*inspect.Route6
	Netns     *NetnsRecord     `json:"netns"`
	Container *ContainerRecord `json:"container"`
	Time      string           `json:"time,omitempty"`
}

// NewRoute6Record tags r with its namespace and owner.
func NewRoute6Record(r *inspect.Route6, ns *inspect.Netns, c *inspect.Container) Route6Record {
	return Route6Record{Family: "inet6", Route6: r, Netns: NewNetnsRecord(ns), Container: NewContainerRecord(c)}
}

// InterfaceRecord is the JSON record of an interface (-i).
type InterfaceRecord struct {
	*inspect.Interface
	Netns     *NetnsRecord     `json:"netns"`
	Container *ContainerRecord `json:"container"`
	Time      string           `json:"time,omitempty"`
}

// NewInterfaceRecord tags an interface with its namespace and owner.
func NewInterfaceRecord(i *inspect.Interface, ns *inspect.Netns, c *inspect.Container) InterfaceRecord {
	return InterfaceRecord{Interface: i, Netns: NewNetnsRecord(ns), Container: NewContainerRecord(c)}
}

// StatsRecord is the JSON record of -s: every counter by section and key.
type StatsRecord struct {
	Statistics map[string]map[string]uint64 `json:"statistics"`
	Netns      *NetnsRecord                 `json:"netns"`
	Container  *ContainerRecord             `json:"container"`
	Time       string                       `json:"time,omitempty"`
}

// NewStatsRecord gathers the counters of one namespace.
func NewStatsRecord(secs []inspect.SnmpSection, ns *inspect.Netns, c *inspect.Container) StatsRecord {
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
	return StatsRecord{Statistics: m, Netns: NewNetnsRecord(ns), Container: NewContainerRecord(c)}
}
