package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// TargetKind is the kind of a Kubernetes target on the command line.
type TargetKind uint8

// Target kinds Resolve understands.
const (
	TargetPod TargetKind = iota + 1
	TargetNode
)

// String returns the target prefix word.
func (k TargetKind) String() string {
	switch k {
	case TargetPod:
		return "pod"
	case TargetNode:
		return "node"
	}
	return "unknown"
}

// Target is one parsed positional target.
type Target struct {
	Kind TargetKind
	Name string
}

// ParseTarget parses a Kubernetes target: "NAME", "pod/NAME" (also po/,
// pods/) or "node/NAME" (also no/, nodes/). ok is false for anything else
// (container/…, pid/…, netns/…), which belongs to local discovery.
func ParseTarget(s string) (t Target, ok bool) {
	kind, name, found := strings.Cut(s, "/")
	if !found {
		return Target{Kind: TargetPod, Name: s}, s != ""
	}
	switch kind {
	case "pod", "pods", "po":
		t.Kind = TargetPod
	case "node", "nodes", "no":
		t.Kind = TargetNode
	default:
		return Target{}, false
	}
	t.Name = name
	return t, name != "" && !strings.Contains(name, "/")
}

// ContainerRef is one container of a resolved pod.
type ContainerRef struct {
	Name string
	// Runtime is the containerID scheme as the JSON records name runtimes:
	// "containerd", "cri-o", "docker", or the raw scheme when unknown.
	Runtime string
	// ID is the runtime's container ID without the scheme; "" when the
	// container has not started.
	ID string
	// Running is set when the status says the container runs now.
	Running bool
}

// PodRef is what the command needs to find a pod's sockets.
type PodRef struct {
	Namespace, Name, UID string
	Node                 string
	HostNetwork          bool
	// Containers are the pod's containers with their runtime IDs, narrowed to
	// --container when it is set. Running sidecar init containers are included.
	Containers []ContainerRef
}

// String is "namespace/name".
func (p PodRef) String() string { return p.Namespace + "/" + p.Name }

// Resolve turns targets (POD, pod/NAME, node/NAME) and --selector,
// --all-namespaces, --node into running pods, sorted by namespace and name,
// each once. It returns nil and no error when there is nothing to resolve.
// An explicitly named pod that is missing, not running or lacks --container
// is an error; pods found by a selector or node are skipped quietly when not
// running, as kubectl logs -l does.
func (o *Options) Resolve(ctx context.Context, targets []string) ([]PodRef, error) {
	var parsed []Target
	for _, s := range targets {
		t, ok := ParseTarget(s)
		if !ok {
			return nil, errorf(ErrUsage, "%q is not a pod or node target (want POD, pod/NAME or node/NAME)", s)
		}
		parsed = append(parsed, t)
	}
	listing := o.Selector != "" || o.AllNamespaces || o.Node != ""
	if len(parsed) == 0 && !listing {
		return nil, nil
	}
	if err := o.Complete(); err != nil {
		return nil, err
	}
	ns, explicitNS, err := o.namespace()
	if err != nil {
		return nil, err
	}

	seen := map[string]bool{}
	var refs []PodRef
	add := func(p *corev1.Pod, named bool) error {
		ref, err := o.podRef(p, named)
		if err != nil || ref == nil {
			return err
		}
		if !seen[ref.UID] {
			seen[ref.UID] = true
			refs = append(refs, *ref)
		}
		return nil
	}

	pods := 0
	for _, t := range parsed {
		switch t.Kind {
		case TargetPod:
			if o.AllNamespaces {
				list, err := o.listPods(ctx, "", "", fields.OneTermEqualSelector("metadata.name", t.Name))
				if err != nil {
					return nil, err
				}
				if len(list) == 0 {
					return nil, o.withHint(errorf(ErrNotFound, "pod %q not found in any namespace", t.Name), t.Name)
				}
				for i := range list {
					if err := add(&list[i], true); err != nil {
						return nil, err
					}
				}
				pods++
				continue
			}
			var p *corev1.Pod
			err := o.call(ctx, func(ctx context.Context) (err error) {
				p, err = o.Client.CoreV1().Pods(ns).Get(ctx, t.Name, metav1.GetOptions{})
				return err
			})
			if apierrors.IsNotFound(err) {
				return nil, o.withHint(errorf(ErrNotFound, "pod %q not found in namespace %q", t.Name, ns), t.Name)
			}
			if err != nil {
				return nil, o.apiError(err, fmt.Sprintf("get pod %s/%s", ns, t.Name), "get", "pods", ns)
			}
			if err := add(p, true); err != nil {
				return nil, err
			}
			pods++
		case TargetNode:
			scope := ""
			if explicitNS {
				scope = ns
			}
			list, err := o.listPods(ctx, scope, o.Selector, fields.OneTermEqualSelector("spec.nodeName", t.Name))
			if err != nil {
				return nil, err
			}
			before := len(refs)
			for i := range list {
				if err := add(&list[i], false); err != nil {
					return nil, err
				}
			}
			if len(refs) == before {
				return nil, errorf(ErrNotFound, "no running pods on node %q%s", t.Name, o.scopeText(scope))
			}
		}
	}

	// --selector / --all-namespaces / --node alone select pods by themselves;
	// with explicit pod targets they only scope the lookup.
	if pods == 0 && listing && !hasKind(parsed, TargetNode) {
		scope := ns
		if o.AllNamespaces {
			scope = ""
		}
		var fs fields.Selector = fields.Everything()
		if o.Node != "" {
			fs = fields.OneTermEqualSelector("spec.nodeName", o.Node)
		}
		list, err := o.listPods(ctx, scope, o.Selector, fs)
		if err != nil {
			return nil, err
		}
		for i := range list {
			if err := add(&list[i], false); err != nil {
				return nil, err
			}
		}
		if len(refs) == 0 {
			what := "no running pods"
			if o.Selector != "" {
				what += fmt.Sprintf(" match selector %q", o.Selector)
			}
			if o.Node != "" {
				what += fmt.Sprintf(" on node %q", o.Node)
			}
			return nil, errorf(ErrNotFound, "%s%s", what, o.scopeText(scope))
		}
	}

	sort.Slice(refs, func(i, j int) bool {
		if refs[i].Namespace != refs[j].Namespace {
			return refs[i].Namespace < refs[j].Namespace
		}
		return refs[i].Name < refs[j].Name
	})
	return refs, nil
}

func hasKind(ts []Target, k TargetKind) bool {
	for _, t := range ts {
		if t.Kind == k {
			return true
		}
	}
	return false
}

func (o *Options) scopeText(ns string) string {
	if ns == "" {
		return " in any namespace"
	}
	return fmt.Sprintf(" in namespace %q", ns)
}

// listPods lists pods in ns ("" = all namespaces) by label and field selector.
func (o *Options) listPods(ctx context.Context, ns, labels string, fs fields.Selector) ([]corev1.Pod, error) {
	var list *corev1.PodList
	err := o.call(ctx, func(ctx context.Context) (err error) {
		list, err = o.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels, FieldSelector: fs.String()})
		return err
	})
	if apierrors.IsBadRequest(err) && labels != "" {
		return nil, errorf(ErrUsage, "--selector %q: %s", labels, statusMessage(err))
	}
	if err != nil {
		where := ns
		if where == "" {
			where = "(all namespaces)"
		}
		return nil, o.apiError(err, "list pods"+o.scopeText(ns), "list", "pods", where)
	}
	// The server already filtered; filtering again keeps fakes and old servers honest.
	items := list.Items[:0]
	for _, p := range list.Items {
		if fs.Matches(fields.Set{"metadata.name": p.Name, "metadata.namespace": p.Namespace, "spec.nodeName": p.Spec.NodeName}) {
			items = append(items, p)
		}
	}
	return items, nil
}

// podRef checks one pod and narrows it to --container. named says the user
// typed this pod, so problems are errors; otherwise the pod is skipped (nil).
func (o *Options) podRef(p *corev1.Pod, named bool) (*PodRef, error) {
	fail := func(err error) (*PodRef, error) {
		if named {
			return nil, err
		}
		return nil, nil
	}
	id := p.Namespace + "/" + p.Name
	if p.Spec.NodeName == "" {
		return fail(errorf(ErrNotRunning, "pod %s is %s and not scheduled to a node yet", id, phase(p)))
	}
	if p.Status.Phase != corev1.PodRunning {
		return fail(errorf(ErrNotRunning, "pod %s is %s, not Running", id, phase(p)))
	}
	ref := &PodRef{
		Namespace:   p.Namespace,
		Name:        p.Name,
		UID:         string(p.UID),
		Node:        p.Spec.NodeName,
		HostNetwork: p.Spec.HostNetwork,
	}
	statuses := append([]corev1.ContainerStatus(nil), p.Status.ContainerStatuses...)
	for _, s := range p.Status.InitContainerStatuses {
		if s.State.Running != nil { // sidecars (restartPolicy: Always) share the pod's netns
			statuses = append(statuses, s)
		}
	}
	byName := map[string]corev1.ContainerStatus{}
	for _, s := range statuses {
		byName[s.Name] = s
	}
	names := specNames(p)
	if o.Container != "" {
		if !contains(names, o.Container) {
			return fail(errorf(ErrContainerNotFound, "container %q not found in pod %s (containers: %s)", o.Container, id, strings.Join(names, ", ")))
		}
		names = []string{o.Container}
	}
	for _, n := range names {
		s, ok := byName[n]
		if !ok {
			if o.Container != "" {
				return fail(errorf(ErrNotRunning, "container %q of pod %s has no status yet", n, id))
			}
			continue
		}
		rt, cid := splitContainerID(s.ContainerID)
		ref.Containers = append(ref.Containers, ContainerRef{Name: n, Runtime: rt, ID: cid, Running: s.State.Running != nil})
		if o.Container != "" && s.State.Running == nil {
			return fail(errorf(ErrNotRunning, "container %q of pod %s is not running", n, id))
		}
	}
	return ref, nil
}

func phase(p *corev1.Pod) string {
	if p.Status.Phase == "" {
		return string(corev1.PodPending)
	}
	return string(p.Status.Phase)
}

// specNames are the pod's container names in spec order: containers, then
// init containers (only running ones have netns-relevant processes).
func specNames(p *corev1.Pod) []string {
	var n []string
	for _, c := range p.Spec.Containers {
		n = append(n, c.Name)
	}
	for _, c := range p.Spec.InitContainers {
		n = append(n, c.Name)
	}
	return n
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// splitContainerID splits status.containerID ("containerd://<id>") into the
// runtime word of the JSON records and the bare ID.
func splitContainerID(s string) (runtime, id string) {
	scheme, id, ok := strings.Cut(s, "://")
	if !ok {
		return "", s
	}
	switch scheme {
	case "containerd":
		return "containerd", id
	case "cri-o", "crio":
		return "cri-o", id
	case "docker":
		return "docker", id
	}
	return scheme, id
}
