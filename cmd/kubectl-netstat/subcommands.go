package main

import "github.com/spf13/cobra"

func subcommands(o *netstatOptions) []*cobra.Command { return nil }
