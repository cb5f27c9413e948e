package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// Exit codes from the contract.
const (
	exitOK      = 0
	exitProblem = 1
	exitUsage   = 2
)

// usageError is a bad flag, value or combination: exit 2. It wraps the
// error that says what was wrong, so errors.Is still sees its sentinel.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{err: fmt.Errorf(format, a...)} }

// usage marks err as a usage error (exit 2).
func usage(err error) error { return &usageError{err: err} }

// exitError carries a specific exit code. A silent one has already said
// what it had to (a table, a notice): no error line follows.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// problem marks err as a problem found (exit 1).
func problem(err error) error { return &exitError{code: exitProblem, err: err} }

// problemf is problem(fmt.Errorf(…)).
func problemf(format string, a ...any) error { return problem(fmt.Errorf(format, a...)) }

// errSilent is exit 1 with nothing more to print.
func errSilent() error { return &exitError{code: exitProblem, silent: true} }

// rootAdvice is a refusal whose text already tells the user to run as root.
type rootAdvice struct{ err error }

func (e *rootAdvice) Error() string { return e.err.Error() + "; run as root to read it" }
func (e *rootAdvice) Unwrap() error { return e.err }

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
	var ra *rootAdvice
	if errors.Is(err, inspect.ErrPermission) && !errors.As(err, &ra) {
		msg += " (run as root)"
	}
	fmt.Fprintf(w, "kubectl-netstat: %s\n", msg)
}

// ExitCode prints err as the contract's one stderr line (none when it was
// already said) and returns the process exit status: 0, 1 or 2.
func ExitCode(err error, errOut io.Writer) int {
	err = platformError(err)
	if err != nil {
		oneLine(errOut, err)
	}
	return exitCode(err)
}
