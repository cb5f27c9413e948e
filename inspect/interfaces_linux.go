//go:build linux

package inspect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ListInterfaces returns netstat -i's interface list for the namespace fd
// lives in: the names of dev (/proc/net/dev of that namespace) and the IPv4
// address labels SIOCGIFCONF reports, in net-tools' natural order, with
// flags (SIOCGIFFLAGS, low 16 bits) and MTU (SIOCGIFMTU). fd must be an
// AF_INET SOCK_DGRAM socket the caller opened in the namespace
// (nsenter.SocketAt). On a per-interface failure the interfaces before it
// are returned together with the error (ErrNotFound when it vanished).
func ListInterfaces(fd int, dev []NetDev) ([]Interface, error) {
	return listInterfaces(ioctlFetcher{fd: fd}, dev)
}

// ListInterfacesLong is ListInterfaces plus the Detail netstat -ie prints:
// hardware address and type, txqueuelen, IPv4 address/netmask/broadcast/
// destination of the name (labels have their own), the device map, and the
// entries of inet6 (/proc/net/if_inet6 of the same namespace) for the name.
func ListInterfacesLong(fd int, dev []NetDev, inet6 []IfInet6) ([]Interface, error) {
	ifs, err := ListInterfaces(fd, dev)
	for i := range ifs {
		ifs[i].Detail = ifaceDetail(fd, ifs[i].Name, inet6)
	}
	return ifs, err
}

// ifaceDetail runs the ioctls of net-tools' if_fetch; failures leave zero values as it does.
func ifaceDetail(fd int, name string, inet6 []IfInet6) *IfaceDetail {
	d := &IfaceDetail{TxQueueLen: -1, Netmask: netip.IPv4Unspecified(), Broadcast: netip.IPv4Unspecified(),
		Dest: netip.IPv4Unspecified(), HWAddr: make(HWAddr, 14)}
	if data, err := ifreqRaw(fd, unix.SIOCGIFHWADDR, name); err == nil {
		d.HWType = binary.NativeEndian.Uint16(data[0:2])
		copy(d.HWAddr, data[2:16])
	}
	if data, err := ifreqRaw(fd, unix.SIOCGIFTXQLEN, name); err == nil {
		d.TxQueueLen = int(int32(binary.NativeEndian.Uint32(data[0:4])))
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

type ioctlFetcher struct{ fd int }

// ifconf is struct ifconf; Go pads Buf to pointer alignment as C does.
type ifconf struct {
	Len int32
	Buf uintptr
}

// labels returns the interface names of SIOCGIFCONF (one per IPv4 address,
// named by its label), growing the buffer until the kernel leaves room.
func (f ioctlFetcher) labels() ([]string, error) {
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

func (f ioctlFetcher) flags(name string) (IfFlags, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(f.fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return 0, errIfVanished{}
		}
		return 0, err
	}
	return IfFlags(ifr.Uint16()), nil
}

func (f ioctlFetcher) mtu(name string) (int, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(f.fd, unix.SIOCGIFMTU, ifr); err != nil {
		return 0, err
	}
	return int(int32(ifr.Uint32())), nil
}
