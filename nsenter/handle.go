package nsenter

import "github.com/vishvananda/netns"

// Handle is an open network namespace file: a netns.NsHandle (its fd), so
// netlink.NewHandleAt and the rest of vishvananda/netns take it as it is.
// IsOpen, Equal (same nsfs device and inode), UniqueId and Close are netns's;
// closing None is harmless (EBADF, ignored by callers).
type Handle = netns.NsHandle
