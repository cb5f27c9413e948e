// Package nsenter is the only place that switches network namespaces.
//
// A network namespace belongs to an OS thread, not to a process. Do runs a
// function on a fresh goroutine that locks its thread, joins the namespace
// and then exits while still locked, so the Go runtime throws that thread
// away instead of handing it, still inside a foreign namespace, to other
// goroutines. Nothing is ever switched back, so nothing can fail to switch
// back. Only the network namespace is entered; mount and user namespaces
// cannot be joined by a multi-threaded program and are reached through
// /proc/PID/root instead.
//
// Sockets and files opened inside Do stay bound to the namespace they were
// opened in, so long work (netlink dumps, reads) runs outside Do on any
// thread.
package nsenter
