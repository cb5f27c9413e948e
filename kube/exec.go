package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/exec"
)

// ProcNetFiles are the /proc/net files --method=exec reads by default, the
// ones netstat's socket, route, interface and statistics views need.
var procNetFiles = []string{
	"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6",
	"/proc/net/udplite", "/proc/net/udplite6", "/proc/net/raw", "/proc/net/raw6",
	"/proc/net/unix", "/proc/net/route", "/proc/net/ipv6_route", "/proc/net/dev",
	"/proc/net/snmp", "/proc/net/snmp6", "/proc/net/netstat",
}

// ProcNetFiles returns a fresh copy of the default file list for ExecProcNet.
func ProcNetFiles() []string { return append([]string(nil), procNetFiles...) }

// maxExecFile bounds one file read through exec; /proc/net/tcp of a busy
// pod is a few MiB at most.
const maxExecFile = 64 << 20

// ExecProcNet reads files inside one container in one exec round trip and
// returns them by path. The files are the container's own view, i.e. its
// network namespace. A file the container's kernel lacks is left out of the
// map; no file at all is an error. container "" means the pod's first
// container. Process information (-p) is not available this way: the caller
// says so.
//
// The command is only `cat`, which is all --method=exec asks of an image:
// `cat /proc/self/cmdline F1 /proc/self/cmdline F2 …`. cat's own command line
// is NUL-separated and known exactly, and /proc/net text never holds a NUL
// (the kernel prints abstract UNIX names with '@'), so it separates the files
// unambiguously.
func (o *Options) ExecProcNet(ctx context.Context, ref PodRef, container string, files []string) (map[string][]byte, error) {
	if err := o.Complete(); err != nil {
		return nil, err
	}
	if container == "" && len(ref.Containers) > 0 {
		container = ref.Containers[0].Name
	}
	argv, sep := catArgv(files)
	var stdout, stderr bytes.Buffer
	err := o.execOne(ctx, ref, container, argv, &limitedWriter{w: &stdout, n: maxExecFile}, &stderr)
	var code exec.CodeExitError
	switch {
	case err == nil:
	case errors.As(err, &code) && code.Code == 1 && stdout.Len() > 0:
		// cat exits 1 when a file is missing (udplite on kernels built
		// without it) and still prints the others.
	case errors.As(err, &code):
		return nil, errorf(ErrExec, "reading /proc/net in container %q of pod %s: cat exited %d: %s", container, ref, code.Code, oneLineText(stderr.String()))
	case apierrors.IsForbidden(err):
		return nil, errorf(ErrForbidden, "exec in pod %s: missing RBAC permission \"create\" on \"pods/exec\" in namespace %q (see deploy/rbac.yaml): %s", ref, ref.Namespace, statusMessage(err))
	case ctx.Err() != nil:
		return nil, ctx.Err()
	default:
		msg := oneLine(err)
		// The runtime's "no such command" reaches us only as the text of the
		// exec stream's failure status: there is no type or code to match.
		if strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory") {
			return nil, errorf(ErrExec, "container %q of pod %s has no cat command, which --method=exec needs (use --method=agent): %s", container, ref, msg)
		}
		return nil, errorf(ErrExec, "exec in container %q of pod %s: %s", container, ref, msg)
	}
	out, err := splitCat(stdout.Bytes(), sep, files, stderr.String())
	if err != nil {
		return nil, errorf(ErrExec, "reading /proc/net in container %q of pod %s: %v", container, ref, err)
	}
	if len(out) == 0 {
		return nil, errorf(ErrExec, "reading /proc/net in container %q of pod %s: none of the files exist: %s", container, ref, oneLineText(stderr.String()))
	}
	return out, nil
}

// selfCmdline is the separator file: the reading cat's own argv.
const selfCmdline = "/proc/self/cmdline"

// catArgv builds the one cat command that prints every file, each after a
// copy of cat's command line, and returns that command line as the kernel
// shows it in /proc/self/cmdline (each argument NUL-terminated).
func catArgv(files []string) (argv []string, sep []byte) {
	argv = []string{"cat"}
	for _, f := range files {
		argv = append(argv, selfCmdline, f)
	}
	for _, a := range argv {
		sep = append(sep, a...)
		sep = append(sep, 0)
	}
	return argv, sep
}

// splitCat cuts catArgv's output back into files. A file cat could not open
// ("No such file" on stderr) prints nothing and is left out; anything that
// does not have exactly one separator per file is an error, never a guess.
func splitCat(b, sep []byte, files []string, stderr string) (map[string][]byte, error) {
	if !bytes.HasPrefix(b, sep) {
		return nil, fmt.Errorf("unexpected output from cat (%d bytes, no separator)", len(b))
	}
	parts := bytes.Split(b[len(sep):], sep)
	if len(parts) != len(files) {
		return nil, fmt.Errorf("unexpected output from cat: %d parts for %d files", len(parts), len(files))
	}
	out := make(map[string][]byte, len(files))
	for i, f := range files {
		if len(parts[i]) == 0 && strings.Contains(stderr, f+":") {
			continue // cat: /proc/net/udplite: No such file or directory
		}
		out[f] = parts[i]
	}
	return out, nil
}

// execOne runs cmd in the container through the API server, preferring the
// websocket protocol and falling back to SPDY as kubectl does.
func (o *Options) execOne(ctx context.Context, ref PodRef, container string, cmd []string, stdout, stderr io.Writer) error {
	req := o.Client.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(ref.Namespace).Name(ref.Name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: container,
			Command:   cmd,
			Stdout:    true,
			Stderr:    true,
		}, scheme.ParameterCodec)
	spdy, err := remotecommand.NewSPDYExecutor(o.RESTConfig, "POST", req.URL())
	if err != nil {
		return err
	}
	ws, err := remotecommand.NewWebSocketExecutor(o.RESTConfig, "GET", req.URL().String())
	if err != nil {
		return err
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.requestTimeout())
	defer cancel()
	return ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr})
}

// limitedWriter fails once more than n bytes were written, so a runaway file
// cannot fill memory.
type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, fmt.Errorf("output over %d bytes", maxExecFile)
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}
