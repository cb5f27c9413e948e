package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// Labels on every agent pod; deploy/rbac.yaml and cleanup scripts select on them.
const (
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	LabelManagedByValue = "kubectl-netstat"
	LabelComponent      = "app.kubernetes.io/component"
	LabelComponentValue = "agent"
	// AgentContainer is the agent pod's only container.
	AgentContainer = "netstat"
	// AgentBinary is the binary's path in the published image (Dockerfile).
	AgentBinary = "/kubectl-netstat"
	// HostMount is where the agent sees the node's / (read-only).
	HostMount = "/host"
)

// AgentArgs are the arguments the agent always gets before the user's netstat
// flags: read host state below /host and speak NDJSON back.
var agentArgs = []string{"--host-root=" + HostMount, "--output=ndjson"}

// AgentArgs returns the agent container's full argument list for the user's
// netstat flags.
func AgentArgs(netstatArgs []string) []string {
	return append(append([]string(nil), agentArgs...), netstatArgs...)
}

// AgentPodSpec is the short-lived pod RunAgent creates: pinned to node (no
// scheduler involved), host PID and network namespaces, privileged, the
// node's / mounted read-only at /host, tolerating every taint, never
// restarted and killed by the kubelet after deadline.
func AgentPodSpec(namespace, node, image string, netstatArgs []string, deadline time.Duration) *corev1.Pod {
	secs := int64(deadline / time.Second)
	if secs < 1 {
		secs = 1
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "kubectl-netstat-agent-",
			Namespace:    namespace,
			Labels: map[string]string{
				LabelManagedBy:           LabelManagedByValue,
				LabelComponent:           LabelComponentValue,
				"app.kubernetes.io/name": "kubectl-netstat",
			},
		},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			HostPID:                       true,
			HostNetwork:                   true, // no CNI needed; the host netns is the agent's own
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         &secs,
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			AutomountServiceAccountToken:  ptr.To(false), // the agent never talks to the API
			EnableServiceLinks:            ptr.To(false),
			DNSPolicy:                     corev1.DNSClusterFirstWithHostNet,
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:            AgentContainer,
				Image:           image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         []string{AgentBinary},
				Args:            AgentArgs(netstatArgs),
				SecurityContext: &corev1.SecurityContext{
					Privileged: ptr.To(true),
					RunAsUser:  ptr.To[int64](0),
				},
				VolumeMounts: []corev1.VolumeMount{{
					Name:      "host",
					MountPath: HostMount,
					ReadOnly:  true,
					// netns bind mounts made after the agent starts stay visible.
					MountPropagation: ptr.To(corev1.MountPropagationHostToContainer),
				}},
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			}},
			Volumes: []corev1.Volume{{
				Name: "host",
				VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
					Path: "/", Type: ptr.To(corev1.HostPathDirectory),
				}},
			}},
		},
	}
}

// RunAgent runs the agent on node with the user's netstat flags and copies
// its NDJSON lines to out as they arrive. Other lines (the agent's stderr)
// are kept and reported when the agent fails. The pod is deleted on every
// path: success, failure, timeout and cancellation of ctx (Ctrl-C).
func (o *Options) RunAgent(ctx context.Context, node string, netstatArgs []string, out io.Writer) (err error) {
	if err := o.Complete(); err != nil {
		return err
	}
	ns, _, err := o.namespace()
	if err != nil {
		return err
	}
	spec := AgentPodSpec(ns, node, o.image(), netstatArgs, o.AgentTimeout)
	// Name the pod here rather than through generateName, so a Create whose
	// answer is lost (Ctrl-C, timeout) can still be cleaned up by name.
	spec.Name = spec.GenerateName + rand.String(8)
	spec.GenerateName = ""
	var pod *corev1.Pod
	err = o.call(ctx, func(ctx context.Context) (err error) {
		pod, err = o.Client.CoreV1().Pods(ns).Create(ctx, spec, metav1.CreateOptions{})
		return err
	})
	if apierrors.IsForbidden(err) {
		return errorf(ErrForbidden, "cannot create the agent pod in namespace %q: missing RBAC permission \"create\" on \"pods\" (see deploy/rbac.yaml), or use --method=exec: %s", ns, statusMessage(err))
	}
	if err != nil {
		if !apierrors.IsAlreadyExists(err) && !apierrors.IsInvalid(err) {
			_ = o.deleteAgent(ctx, spec)
		}
		return o.apiError(err, fmt.Sprintf("create agent pod on node %q", node), "create", "pods", ns)
	}
	defer func() {
		if derr := o.deleteAgent(ctx, pod); derr != nil && err == nil {
			err = derr
		}
	}()

	// The deadline covers the start; the kubelet's activeDeadlineSeconds
	// covers the run, and the log stream ends when the container does.
	startCtx, cancel := context.WithTimeout(ctx, o.AgentTimeout)
	defer cancel()
	if err := o.waitStarted(startCtx, pod); err != nil {
		return err
	}

	stream, err := o.Client.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{Container: AgentContainer, Follow: true}).Stream(ctx)
	if err != nil {
		if apierrors.IsForbidden(err) {
			return errorf(ErrForbidden, "cannot read the agent's output: missing RBAC permission \"get\" on \"pods/log\" in namespace %q (see deploy/rbac.yaml)", ns)
		}
		return o.apiError(err, "stream agent pod "+ns+"/"+pod.Name+" logs", "get", "pods/log", ns)
	}
	defer stream.Close()
	diag, derr := wire.SplitLog(stream, out)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if derr != nil {
		return errorf(ErrAgent, "reading agent output on node %q: %v", node, derr)
	}
	return o.agentExit(ctx, pod, node, diag)
}

// deleteAgent deletes the pod even when ctx is already cancelled.
func (o *Options) deleteAgent(ctx context.Context, pod *corev1.Pod) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.requestTimeout())
	defer cancel()
	err := o.Client.CoreV1().Pods(pod.Namespace).Delete(dctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		PropagationPolicy:  ptr.To(metav1.DeletePropagationBackground),
	})
	if err == nil || apierrors.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("deleting agent pod %s/%s (delete it by hand: kubectl delete pod -n %s -l %s=%s): %w",
		pod.Namespace, pod.Name, pod.Namespace, LabelManagedBy, LabelManagedByValue, o.apiError(err, "delete", "delete", "pods", pod.Namespace))
}

// waitStarted waits until the agent container runs or has finished, and fails
// fast on states that will not get better (image pull errors).
func (o *Options) waitStarted(ctx context.Context, pod *corev1.Pod) error {
	pods := o.Client.CoreV1().Pods(pod.Namespace)
	w, err := pods.Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", pod.Name).String(),
		ResourceVersion: pod.ResourceVersion,
	})
	if err != nil {
		return o.apiError(err, "watch agent pod "+pod.Namespace+"/"+pod.Name, "watch", "pods", pod.Namespace)
	}
	defer w.Stop()
	cur := pod
	for {
		if done, err := agentStarted(cur); done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return errorf(ErrAgent, "agent pod %s/%s did not start on node %q within %s (%s)", pod.Namespace, pod.Name, pod.Spec.NodeName, o.AgentTimeout, podWaitReason(cur))
			}
			return ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				// The server closed the watch (timeout); fall back to one get per second.
				w.Stop()
				return o.pollStarted(ctx, pod)
			}
			switch ev.Type {
			case watch.Deleted:
				return errorf(ErrAgent, "agent pod %s/%s was deleted before it ran", pod.Namespace, pod.Name)
			case watch.Error:
				return errorf(ErrAgent, "watching agent pod: %v", apierrors.FromObject(ev.Object))
			}
			if p, ok := ev.Object.(*corev1.Pod); ok {
				cur = p
			}
		}
	}
}

func (o *Options) pollStarted(ctx context.Context, pod *corev1.Pod) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return errorf(ErrAgent, "agent pod %s/%s did not start on node %q within %s", pod.Namespace, pod.Name, pod.Spec.NodeName, o.AgentTimeout)
			}
			return ctx.Err()
		case <-t.C:
		}
		p, err := o.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		if done, err := agentStarted(p); done || err != nil {
			return err
		}
	}
}

// agentStarted reports whether logs can be streamed, or an error for states
// that will not recover by waiting.
func agentStarted(p *corev1.Pod) (bool, error) {
	switch p.Status.Phase {
	case corev1.PodRunning, corev1.PodSucceeded:
		return true, nil
	case corev1.PodFailed:
		return true, nil // agentExit reports it with the logs
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Running != nil || s.State.Terminated != nil {
			return true, nil
		}
		if w := s.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull":
				return false, errorf(ErrAgent, "agent pod %s/%s on node %q cannot get its image %q: %s: %s; pass --image with an image that node can pull, or use --method exec", p.Namespace, p.Name, p.Spec.NodeName, specImage(p, s.Name), w.Reason, oneLineText(w.Message))
			case "CreateContainerConfigError", "CreateContainerError":
				return false, errorf(ErrAgent, "agent pod %s/%s on node %q: %s: %s (set --image?, or use --method exec)", p.Namespace, p.Name, p.Spec.NodeName, w.Reason, oneLineText(w.Message))
			}
		}
	}
	return false, nil
}

// specImage is the image the pod asked for in container name (the status may
// not name it before the pull succeeds).
func specImage(p *corev1.Pod, name string) string {
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			return c.Image
		}
	}
	return ""
}

func podWaitReason(p *corev1.Pod) string {
	for _, s := range p.Status.ContainerStatuses {
		if w := s.State.Waiting; w != nil && w.Reason != "" {
			return w.Reason
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Reason != "" {
			return c.Reason
		}
	}
	return "phase " + phase(p)
}

// agentExit looks at the finished container and turns a non-zero exit into an
// error carrying the agent's own last message.
func (o *Options) agentExit(ctx context.Context, pod *corev1.Pod, node string, diag []string) error {
	var p *corev1.Pod
	for range 10 { // the kubelet may report the termination a moment after the stream ends
		err := o.call(ctx, func(ctx context.Context) (err error) {
			p, err = o.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
			return err
		})
		if err != nil {
			return o.apiError(err, "get agent pod "+pod.Namespace+"/"+pod.Name, "get", "pods", pod.Namespace)
		}
		for _, s := range p.Status.ContainerStatuses {
			if t := s.State.Terminated; t != nil {
				if t.ExitCode == 0 {
					return nil
				}
				msg := t.Reason
				if len(diag) > 0 {
					msg = diag[len(diag)-1]
				} else if t.Message != "" {
					msg = oneLineText(t.Message)
				}
				return errorf(ErrAgent, "agent on node %q exited with code %d: %s", node, t.ExitCode, msg)
			}
		}
		if p.Status.Phase == corev1.PodFailed {
			return errorf(ErrAgent, "agent pod %s/%s on node %q failed: %s %s", pod.Namespace, pod.Name, node, p.Status.Reason, oneLineText(p.Status.Message))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return nil // the stream ended cleanly; the kubelet is just slow to say so
}

func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }
