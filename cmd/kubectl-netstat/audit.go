package main

import "github.com/spf13/cobra"

func newCmdAudit(root *netstatOptions) *cobra.Command {
	return &cobra.Command{Use: "audit", Hidden: true, RunE: func(*cobra.Command, []string) error { return usagef("audit: not built yet") }}
}
