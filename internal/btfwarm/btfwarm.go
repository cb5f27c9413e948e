// Package btfwarm, imported by the kubectl-netstat command alone, starts
// parsing the kernel's BTF while the program initialises.
//
// A root run on a BTF kernel loads the owner iterator first thing, and that
// first load spends about 25 ms parsing the kernel's BTF. Packages are
// initialised in import-path order, so this one starts the parse before
// the k8s.io packages' initialisation (about 10 ms) and the /proc scan run,
// which it then overlaps instead of delaying the owner pass. Tools and tests
// that import inspect (bench/floor among them) do not pay for it.
package btfwarm
