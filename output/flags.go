// Package output renders inspect's model as netstat text, wide tables and JSON.
// It does no I/O of its own beyond the io.Writer it is given.
package output

import (
	"net/netip"
)

// Flags are the netstat display flags that change how rows look.
type Flags struct {
	All          bool // -a
	Listening    bool // -l
	NumericHosts bool // -n, --numeric-hosts
	NumericPorts bool // -n, --numeric-ports
	NumericUsers bool // -n, --numeric-users
	Programs     bool // -p
	Extend       int  // -e count
	Timers       bool // -o, --timers
	Wide         bool // -W
	Verbose      bool // -v
}

// Names answers netstat's name lookups. Every method returns "" when there is
// no name, and the renderer then prints the number. Implementations must bound
// their time; output never waits on its own.
type Names interface {
	// Host is the reverse name of an address (gethostbyaddr / getnameinfo semantics).
	Host(a netip.Addr) string
	// Network is the /etc/networks name of a network address (getnetbyaddr).
	Network(a netip.Addr) string
	// Service is the services-database name of a port for "tcp", "udp" or "raw"
	// (raw also searches /etc/protocols first).
	Service(port uint16, proto string) string
	// User is the passwd name of a uid.
	User(uid uint32) string
}

// NoNames is a Names that knows no names.
type NoNames struct{}

func (NoNames) Host(netip.Addr) string        { return "" }
func (NoNames) Network(netip.Addr) string     { return "" }
func (NoNames) Service(uint16, string) string { return "" }
func (NoNames) User(uint32) string            { return "" }
