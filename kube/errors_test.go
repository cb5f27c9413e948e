package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
)

func TestAPIError(t *testing.T) {
	o := NewOptions(genericiooptions.NewTestIOStreamsDiscard())
	o.RESTConfig = &rest.Config{Host: "https://192.0.2.1:6443"}
	refused := &url.Error{Op: "Get", URL: "https://192.0.2.1:6443/api/v1/namespaces/default/pods/web",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("connect: %w", syscall.ECONNREFUSED)}}
	for _, tc := range []struct {
		name string
		err  error
		want error
		msg  []string
	}{
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "web", errors.New(`User "jane" cannot get resource "pods"`)),
			ErrForbidden, []string{`missing RBAC permission "get" on "pods" in namespace "default"`, `User "jane"`}},
		{"unauthorized", apierrors.NewUnauthorized("bad token"), ErrForbidden, []string{"401"}},
		{"refused", refused, ErrUnreachable, []string{"cannot reach the API server at https://192.0.2.1:6443: connection refused"}},
		{"deadline", fmt.Errorf("wrapped: %w", context.DeadlineExceeded), ErrUnreachable, []string{"no answer from the API server at https://192.0.2.1:6443 within 15s"}},
		{"canceled", context.Canceled, context.Canceled, nil},
		{"server said no", apierrors.NewInternalError(errors.New("etcd\nleader changed")), nil, []string{"get pod default/web: Internal error occurred: etcd leader changed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := o.apiError(tc.err, "get pod default/web", "get", "pods", "default")
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("apiError = %v, want %v", err, tc.want)
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("apiError = %q, want it to contain %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line: %q", err)
			}
			for _, s := range []error{ErrForbidden, ErrUnreachable} {
				if s != tc.want && errors.Is(err, s) {
					t.Errorf("apiError = %v also matches %v", err, s)
				}
			}
		})
	}
}
