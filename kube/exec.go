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

// ExecProcNet reads files inside one container of ref with `cat FILE`, one
// exec per file so each file's bytes stay apart, and returns them by path.
// The files are the container's own view, i.e. its network namespace. A file
// the container's kernel lacks (cat exits 1) is left out of the map; no file
// at all is an error. container "" means the pod's first container. Process
// information (-p) is not available this way: the caller says so.
func (o *Options) ExecProcNet(ctx context.Context, ref PodRef, container string, files []string) (map[string][]byte, error) {
	if err := o.Complete(); err != nil {
		return nil, err
	}
	if container == "" && len(ref.Containers) > 0 {
		container = ref.Containers[0].Name
	}
	out := map[string][]byte{}
	var lastErr string
	for _, f := range files {
		var stdout, stderr bytes.Buffer
		err := o.execOne(ctx, ref, container, []string{"cat", f}, &limitedWriter{w: &stdout, n: maxExecFile}, &stderr)
		var code exec.CodeExitError
		switch {
		case err == nil:
			out[f] = stdout.Bytes()
			continue
		case errors.As(err, &code):
			if strings.Contains(stderr.String(), "No such file") {
				continue // e.g. udplite on kernels built without it
			}
			lastErr = fmt.Sprintf("cat %s exited %d: %s", f, code.Code, oneLineText(stderr.String()))
			continue
		case apierrors.IsForbidden(err):
			return nil, errorf(ErrForbidden, "exec in pod %s: missing RBAC permission \"create\" on \"pods/exec\" in namespace %q (see deploy/rbac.yaml): %s", ref, ref.Namespace, statusMessage(err))
		case ctx.Err() != nil:
			return nil, ctx.Err()
		}
		msg := oneLine(err)
		if strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory") {
			return nil, errorf(ErrExec, "container %q of pod %s has no cat command, which --method=exec needs (use --method=agent): %s", container, ref, msg)
		}
		return nil, errorf(ErrExec, "exec in container %q of pod %s: %s", container, ref, msg)
	}
	if len(out) == 0 {
		if lastErr == "" {
			lastErr = "none of the files exist"
		}
		return nil, errorf(ErrExec, "reading /proc/net in container %q of pod %s: %s", container, ref, lastErr)
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
