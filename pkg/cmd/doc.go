// Package cmd builds the kubectl-netstat command: flag parsing, the netstat
// view, the subcommands and the kubectl path. cmd/kubectl-netstat only calls
// Run; tests drive the same entry point with in-memory streams.
package cmd
