//go:build linux

package inspect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// ListInterfaces returns netstat -i's interface list for the namespace fd
// lives in: the names of dev (/proc/net/dev of that namespace) and the IPv4
// address labels SIOCGIFCONF reports, in net-tools' natural order, with the
// flags (low 16 bits) and MTU of a netlink link dump. fd must be an
// AF_INET SOCK_DGRAM socket the caller opened in the namespace
// (nsenter.SocketAt). On a per-interface failure the interfaces before it
// are returned together with the error (ErrNotFound when it vanished).
func ListInterfaces(fd int, dev []NetDev) ([]Interface, error) {
	links, err := linksOf(fd)
	if err != nil {
		return nil, err
	}
	return listInterfaces(linkFetcher{fd: fd, links: links}, dev)
}

// linksOf dumps the links of the namespace fd lives in through
// vishvananda/netlink: flags and MTU for every name in one RTM_GETLINK,
// where net-tools asks SIOCGIFFLAGS and SIOCGIFMTU per name (same kernel
// fields: dev_get_flags() and dev->mtu). SIOCGSKNS names the socket's
// namespace; the handle is made inside it by nsenter.Do rather than
// netlink.NewHandleAt, which switches a pooled thread back afterwards and
// ignores a failure to.
func linksOf(fd int) (map[string]*netlink.LinkAttrs, error) {
	var nh *netlink.Handle
	nsfd, err := unix.IoctlRetInt(fd, unix.SIOCGSKNS)
	switch {
	case errors.Is(err, unix.EPERM):
		// No CAP_NET_ADMIN, so no setns either: fd is in our own
		// namespace, where every unlocked thread is.
		nh, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	case err != nil:
		return nil, fmt.Errorf("SIOCGSKNS: %w", err)
	default:
		h := netns.NsHandle(nsfd)
		err = nsenter.Do(h, func() error {
			var err error
			nh, err = netlink.NewHandle(unix.NETLINK_ROUTE)
			return err
		})
		h.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	defer nh.Close()
	if err := nh.SetSocketTimeout(netlinkTimeout); err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	var ls []netlink.Link
	for try := 0; ; try++ {
		ls, err = nh.LinkList()
		if errors.Is(err, netlink.ErrDumpInterrupted) && try < 3 {
			continue
		}
		break
	}
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("netlink link dump: %w", err)
	}
	links := make(map[string]*netlink.LinkAttrs, len(ls))
	for _, l := range ls {
		links[l.Attrs().Name] = l.Attrs()
	}
	return links, nil
}

// netlinkTimeout bounds each send and receive of a link dump.
const netlinkTimeout = 10 * time.Second

// ListInterfacesLong is ListInterfaces plus the Detail netstat -ie prints:
// hardware address and txqueuelen (from the link dump), hardware type,
// IPv4 address/netmask/broadcast/destination of the name (labels have their
// own), the device map, and the entries of inet6 (/proc/net/if_inet6 of the
// same namespace) for the name.
func ListInterfacesLong(fd int, dev []NetDev, inet6 []IfInet6) ([]Interface, error) {
	links, err := linksOf(fd)
	if err != nil {
		return nil, err
	}
	fe := linkFetcher{fd: fd, links: links}
	ifs, err := listInterfaces(fe, dev)
	for i := range ifs {
		ifs[i].Detail = fe.detail(ifs[i].Name, inet6)
	}
	return ifs, err
}

// detail runs the ioctls of net-tools' if_fetch that the link dump does not
// answer (vishvananda/netlink gives the hardware type only as a name and
// does not decode IFLA_MAP); failures leave zero values as net-tools does.
func (f linkFetcher) detail(name string, inet6 []IfInet6) *IfaceDetail {
	fd := f.fd
	d := &IfaceDetail{TxQueueLen: -1, Netmask: netip.IPv4Unspecified(), Broadcast: netip.IPv4Unspecified(),
		Dest: netip.IPv4Unspecified(), HWAddr: make(HWAddr, 14)}
	if l := f.link(name); l != nil {
		// SIOCGIFTXQLEN and SIOCGIFHWADDR read the same dev->tx_queue_len and
		// dev_addr (its first 14 bytes; zeros when it has none).
		d.TxQueueLen = l.TxQLen
		copy(d.HWAddr, l.HardwareAddr)
	}
	if data, err := ifreqRaw(fd, unix.SIOCGIFHWADDR, name); err == nil {
		d.HWType = binary.NativeEndian.Uint16(data[0:2])
	}
	if data, err := ifreqRaw(fd, unix.SIOCGIFMAP, name); err == nil {
		// struct ifmap: two unsigned longs, then base_addr, irq, dma, port.
		w := int(unsafe.Sizeof(uintptr(0)))
		if w == 8 {
			d.Map.MemStart = binary.NativeEndian.Uint64(data[0:8])
			d.Map.MemEnd = binary.NativeEndian.Uint64(data[8:16])
		} else {
			d.Map.MemStart = uint64(binary.NativeEndian.Uint32(data[0:4]))
			d.Map.MemEnd = uint64(binary.NativeEndian.Uint32(data[4:8]))
		}
		d.Map.BaseAddr = binary.NativeEndian.Uint16(data[2*w : 2*w+2])
		d.Map.IRQ, d.Map.DMA, d.Map.Port = data[2*w+2], data[2*w+3], data[2*w+4]
	}
	inet := func(req uint) (netip.Addr, bool) {
		data, err := ifreqRaw(fd, req, name)
		if err != nil || binary.NativeEndian.Uint16(data[0:2]) != unix.AF_INET {
			return netip.Addr{}, false
		}
		return netip.AddrFrom4([4]byte(data[4:8])), true
	}
	if a, ok := inet(unix.SIOCGIFADDR); ok {
		d.Addr = a
		if a, ok := inet(unix.SIOCGIFDSTADDR); ok {
			d.Dest = a
		}
		if a, ok := inet(unix.SIOCGIFBRDADDR); ok {
			d.Broadcast = a
		}
		if a, ok := inet(unix.SIOCGIFNETMASK); ok {
			d.Netmask = a
		}
	}
	for _, a := range inet6 {
		if a.Iface == name {
			d.Inet6 = append(d.Inet6, a)
		}
	}
	return d
}

// ifreqRaw runs a SIOCGIF* ioctl and returns the ifreq union bytes.
func ifreqRaw(fd int, req uint, name string) ([24]byte, error) {
	var ifr struct {
		Name [unix.IFNAMSIZ]byte
		Data [24]byte
	}
	if len(name) >= unix.IFNAMSIZ {
		return ifr.Data, unix.EINVAL
	}
	copy(ifr.Name[:], name)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(unsafe.Pointer(&ifr)))
	if errno != 0 {
		return ifr.Data, errno
	}
	return ifr.Data, nil
}

// linkFetcher answers from the link dump, and SIOCGIFCONF for the labels:
// netlink's address dump is ordered by ifindex, net-tools' list by the
// kernel's device list, which SIOCGIFCONF walks.
type linkFetcher struct {
	fd    int
	links map[string]*netlink.LinkAttrs
}

// link is the device a name or label ("eth0:1") belongs to: the kernel
// answers SIOCGIFFLAGS and SIOCGIFMTU for a label with its device.
func (f linkFetcher) link(name string) *netlink.LinkAttrs {
	dev, _, _ := strings.Cut(name, ":")
	return f.links[dev]
}

// ifconf is struct ifconf; Go pads Buf to pointer alignment as C does.
type ifconf struct {
	Len int32
	Buf uintptr
}

// labels returns the interface names of SIOCGIFCONF (one per IPv4 address,
// named by its label), growing the buffer until the kernel leaves room.
func (f linkFetcher) labels() ([]string, error) {
	size := int(unsafe.Sizeof(unix.Ifreq{}))
	for n := 32; ; n *= 2 {
		buf := make([]byte, n*size)
		ifc := ifconf{Len: int32(len(buf)), Buf: uintptr(unsafe.Pointer(&buf[0]))}
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(f.fd), uintptr(unix.SIOCGIFCONF), uintptr(unsafe.Pointer(&ifc)))
		runtime.KeepAlive(buf)
		if errno != 0 {
			return nil, fmt.Errorf("SIOCGIFCONF: %w", errno)
		}
		if int(ifc.Len) == len(buf) && n < 1<<20 {
			continue
		}
		var names []string
		for off := 0; off+size <= int(ifc.Len); off += size {
			name := buf[off : off+unix.IFNAMSIZ]
			l := 0
			for l < len(name) && name[l] != 0 {
				l++
			}
			names = append(names, string(name[:l]))
		}
		return names, nil
	}
}

func (f linkFetcher) flags(name string) (IfFlags, error) {
	l := f.link(name)
	if l == nil {
		return 0, errIfVanished{}
	}
	// SIOCGIFFLAGS returns the low 16 bits of the same flags.
	return IfFlags(uint16(l.RawFlags)), nil
}

func (f linkFetcher) mtu(name string) (int, error) {
	l := f.link(name)
	if l == nil {
		return 0, errIfVanished{}
	}
	return l.MTU, nil
}
