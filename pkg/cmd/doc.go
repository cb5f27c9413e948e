// Package cmd builds the kubectl-netstat command in the shape of
// k8s.io/sample-cli-plugin: NewCmdNetstat returns the cobra command, each
// subcommand has its own options with Complete, Validate and Run, and
// cmd/kubectl-netstat only executes it under signal.NotifyContext and turns
// the error into the exit status (Signals.ExitCode). Tests drive the same
// command with genericiooptions.NewTestIOStreams.
package cmd
