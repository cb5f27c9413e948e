package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// IOStreams are the command's standard streams (injected so tests can capture them).
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// Exit codes from the contract.
const (
	exitOK      = 0
	exitProblem = 1
	exitUsage   = 2
)

// usageError is a bad flag, value or combination: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

// exitError carries a specific exit code with an optional message already printed.
type exitError struct {
	code   int
	msg    string
	silent bool
}

func (e *exitError) Error() string { return e.msg }

// exitCode maps an error to the contract's exit codes.
func exitCode(err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ee):
		return ee.code
	default:
		return exitProblem
	}
}

// oneLine prints err as the contract's single stderr line.
func oneLine(w io.Writer, err error) {
	var ee *exitError
	if errors.As(err, &ee) && ee.silent {
		return
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if errors.Is(err, inspect.ErrPermission) && !strings.Contains(msg, "root") {
		msg += " (run as root)"
	}
	fmt.Fprintf(w, "kubectl-netstat: %s\n", msg)
}
