package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Sentinel errors; cmd picks exit codes and messages with errors.Is. Every
// error this package returns is one line and names what was asked for.
var (
	// ErrUsage is a bad flag value or target (exit 2).
	ErrUsage = errors.New("usage")
	// ErrNotFound: the pod, node or container does not exist (exit 1).
	ErrNotFound = errors.New("not found")
	// ErrContainerNotFound: the pod has no container of that name (exit 1).
	// It also matches ErrNotFound.
	ErrContainerNotFound = fmt.Errorf("container %w", ErrNotFound)
	// ErrNotRunning: the pod or container has no running process to inspect.
	ErrNotRunning = errors.New("not running")
	// ErrNoKubeconfig: no kubeconfig and not in a cluster.
	ErrNoKubeconfig = errors.New("no kubeconfig")
	// ErrUnreachable: the API server did not answer within the bound.
	ErrUnreachable = errors.New("API server unreachable")
	// ErrForbidden: RBAC refused a request; the message names the permission.
	ErrForbidden = errors.New("forbidden")
	// ErrAgent: the agent pod failed to start or exited non-zero.
	ErrAgent = errors.New("agent failed")
	// ErrExec: --method=exec could not read the container's files.
	ErrExec = errors.New("exec failed")
)

// apiError turns a client-go error into one of the sentinels. what says what
// was being done ("get pod default/web"); verb and resource name the RBAC
// permission that a 403 lacks ("get", "pods").
func (o *Options) apiError(err error, what, verb, resource, ns string) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, context.Canceled):
		return err // Ctrl-C: not the server's fault
	case apierrors.IsForbidden(err):
		return wrapf(ErrForbidden, err, "%s: missing RBAC permission %q on %q in namespace %q (see deploy/rbac.yaml): %s", what, verb, resource, ns, statusMessage(err))
	case apierrors.IsUnauthorized(err):
		return wrapf(ErrForbidden, err, "%s: the API server rejected the credentials (401); check --kubeconfig/--context/--token", what)
	case isUnreachable(err):
		host := ""
		if o.RESTConfig != nil {
			host = " at " + o.RESTConfig.Host
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return wrapf(ErrUnreachable, err, "%s: no answer from the API server%s within %s", what, host, o.requestTimeout())
		}
		return wrapf(ErrUnreachable, err, "%s: cannot reach the API server%s: %s", what, host, rootCause(err))
	}
	// Any other answer: its text on one line, the client-go error kept
	// for errors.Is/As (apierrors.IsNotFound, …).
	return &kubeError{cause: err, msg: fmt.Sprintf("%s: %s", what, oneLine(err))}
}

func statusMessage(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		return st.Status().Message
	}
	return oneLine(err)
}

// isUnreachable reports transport failures: refused, unroutable, DNS, TLS
// handshake timeouts and our own request deadline.
func isUnreachable(err error) bool {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		return false // the server answered
	}
	var ue *url.Error
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.As(err, &oe) || errors.As(err, &ue) || errors.As(err, &ne)
}

// rootCause is the innermost error text: "connection refused", not the whole
// url.Error chain with the request path.
func rootCause(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return oneLine(err)
		}
		err = u
	}
}

// kubeError is a one-line message that matches a sentinel (kind) with
// errors.Is without repeating the sentinel's words in the text; cause, when
// set, is the error it reports (client-go's, the kernel's), still reachable
// by errors.Is/As.
type kubeError struct {
	kind  error
	cause error
	msg   string
}

func (e *kubeError) Error() string { return e.msg }
func (e *kubeError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.kind, e.cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func errorf(kind error, format string, a ...any) error {
	return &kubeError{kind: kind, msg: fmt.Sprintf(format, a...)}
}

// wrapf is errorf that keeps cause in the chain.
func wrapf(kind, cause error, format string, a ...any) error {
	return &kubeError{kind: kind, cause: cause, msg: fmt.Sprintf(format, a...)}
}
