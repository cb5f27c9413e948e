// Package peers names cluster addresses through the Kubernetes API: pod IPs
// as NAMESPACE/NAME, Service cluster IPs as svc/NAMESPACE/NAME (with port
// names) and node addresses as node/NAME. One run lists pods, Services and
// nodes once; a repeating run (-c, audit --watch) keeps them current with a
// watch-based informer cache. The table itself (and its never-guess rules) is
// inspect.PeerTable.
package peers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// ErrPodsForbidden: RBAC allows listing pods neither cluster-wide nor in the
// fallback namespace, so nothing can be named.
var ErrPodsForbidden = errors.New("forbidden to list pods")

// Resolver holds what the API said about pods, Services and nodes.
type Resolver struct {
	client  kubernetes.Interface
	timeout time.Duration

	// Scopes that RBAC allowed: metav1.NamespaceAll, the fallback
	// namespace, or "-" when the resource could not be listed at all.
	podScope, svcScope string
	nodes              bool
	missing            []string

	mu       sync.Mutex
	snapshot *inspect.PeerTable
	pods     listersv1.PodLister
	svcs     listersv1.ServiceLister
	nodeL    listersv1.NodeLister
	synced   []cache.InformerSynced
	stop     chan struct{}
}

const noScope = "-"

// New lists pods, Services and nodes once, each call bounded by timeout.
// A 403 on the cluster-wide list of pods or Services falls back to namespace
// ns; what stays forbidden is left out and reported by Notice. An
// unreachable API server or forbidden pods is an error.
func New(ctx context.Context, client kubernetes.Interface, ns string, timeout time.Duration) (*Resolver, error) {
	r := &Resolver{client: client, timeout: timeout, podScope: noScope, svcScope: noScope}
	t := inspect.NewPeerTable()

	var pods *corev1.PodList
	scope, err := r.scoped(ctx, ns, func(ctx context.Context, scope string) (err error) {
		pods, err = client.CoreV1().Pods(scope).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		return err
	})
	if err != nil {
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("%w (cluster-wide and in namespace %q)", ErrPodsForbidden, ns)
		}
		return nil, fmt.Errorf("list pods: %w", err)
	}
	r.podScope = scope
	for i := range pods.Items {
		t.AddPod(PodInfo(&pods.Items[i]))
	}

	var svcs *corev1.ServiceList
	scope, err = r.scoped(ctx, ns, func(ctx context.Context, scope string) (err error) {
		svcs, err = client.CoreV1().Services(scope).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		return err
	})
	switch {
	case err == nil:
		r.svcScope = scope
		for i := range svcs.Items {
			t.AddService(ServiceInfo(&svcs.Items[i]))
		}
	case apierrors.IsForbidden(err):
		r.missing = append(r.missing, "services")
	default:
		return nil, fmt.Errorf("list services: %w", err)
	}

	var nodes *corev1.NodeList
	err = r.call(ctx, func(ctx context.Context) (err error) {
		nodes, err = client.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		return err
	})
	switch {
	case err == nil:
		r.nodes = true
		for i := range nodes.Items {
			t.AddNode(nodes.Items[i].Name, NodeAddrs(&nodes.Items[i]))
		}
	case apierrors.IsForbidden(err):
		r.missing = append(r.missing, "nodes")
	default:
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	if r.podScope != metav1.NamespaceAll {
		r.missing = append(r.missing, "pods outside namespace "+ns)
	}
	r.snapshot = t
	return r, nil
}

// scoped runs list cluster-wide, and in namespace ns after a 403.
func (r *Resolver) scoped(ctx context.Context, ns string, list func(ctx context.Context, scope string) error) (string, error) {
	err := r.call(ctx, func(ctx context.Context) error { return list(ctx, metav1.NamespaceAll) })
	if err == nil || !apierrors.IsForbidden(err) || ns == "" {
		return metav1.NamespaceAll, err
	}
	if err := r.call(ctx, func(ctx context.Context) error { return list(ctx, ns) }); err != nil {
		return "", err
	}
	return ns, nil
}

func (r *Resolver) call(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return fn(ctx)
}

// Notice is the one line to print when RBAC left something out, "" when
// everything could be listed.
func (r *Resolver) Notice() string {
	if len(r.missing) == 0 {
		return ""
	}
	return "peer names: not allowed to list " + strings.Join(r.missing, ", ") + " (RBAC); those addresses are not named"
}

// Watch keeps the tables current from here on with informers (one list and
// then a watch per resource, on the scopes New was allowed). Until their
// caches sync, Table keeps answering from New's lists.
func (r *Resolver) Watch() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		return
	}
	r.stop = make(chan struct{})
	factory := func(scope string) informers.SharedInformerFactory {
		return informers.NewSharedInformerFactoryWithOptions(r.client, 0, informers.WithNamespace(scope))
	}
	pf := factory(r.podScope)
	r.pods = pf.Core().V1().Pods().Lister()
	r.synced = append(r.synced, pf.Core().V1().Pods().Informer().HasSynced)
	fs := []informers.SharedInformerFactory{pf}
	if r.svcScope != noScope {
		f := pf
		if r.svcScope != r.podScope {
			f = factory(r.svcScope)
			fs = append(fs, f)
		}
		r.svcs = f.Core().V1().Services().Lister()
		r.synced = append(r.synced, f.Core().V1().Services().Informer().HasSynced)
	}
	if r.nodes {
		// Nodes are cluster-scoped: a namespaced factory still lists them all.
		r.nodeL = pf.Core().V1().Nodes().Lister()
		r.synced = append(r.synced, pf.Core().V1().Nodes().Informer().HasSynced)
	}
	for _, f := range fs {
		f.Start(r.stop)
	}
}

// Close stops the informers.
func (r *Resolver) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		close(r.stop)
		r.stop = nil
	}
}

// Table is the current address table: from the informer caches once they
// have synced, else from New's lists.
func (r *Resolver) Table() *inspect.PeerTable {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop == nil || r.pods == nil {
		return r.snapshot
	}
	for _, s := range r.synced {
		if !s() {
			return r.snapshot
		}
	}
	t := inspect.NewPeerTable()
	if pods, err := r.pods.List(labels.Everything()); err == nil {
		for _, p := range pods {
			t.AddPod(PodInfo(p))
		}
	}
	if r.svcs != nil {
		if svcs, err := r.svcs.List(labels.Everything()); err == nil {
			for _, s := range svcs {
				t.AddService(ServiceInfo(s))
			}
		}
	}
	if r.nodeL != nil {
		if nodes, err := r.nodeL.List(labels.Everything()); err == nil {
			for _, n := range nodes {
				t.AddNode(n.Name, NodeAddrs(n))
			}
		}
	}
	r.snapshot = t
	return t
}

// PodInfo is what the peer table keeps of a pod.
func PodInfo(p *corev1.Pod) inspect.PeerPodInfo {
	info := inspect.PeerPodInfo{
		Namespace:   p.Namespace,
		Name:        p.Name,
		Running:     p.Status.Phase == corev1.PodRunning,
		HostNetwork: p.Spec.HostNetwork,
		Workload:    workload(p),
	}
	ips := []string{p.Status.PodIP}
	for _, ip := range p.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	info.IPs = parseAddrs(ips)
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		for _, cp := range c.Ports {
			if cp.Name == "" {
				continue
			}
			if info.Ports == nil {
				info.Ports = map[string]string{}
			}
			info.Ports[inspect.K8sPortKey(cp.ContainerPort, string(cp.Protocol))] = cp.Name
		}
	}
	return info
}

// workload is the pod's controller as kind/name; a ReplicaSet made by a
// Deployment (its name is the Deployment's plus "-" and the pod's
// pod-template-hash label) counts as that Deployment.
func workload(p *corev1.Pod) string {
	ref := metav1.GetControllerOf(p)
	if ref == nil {
		return ""
	}
	if ref.Kind == "ReplicaSet" {
		if h := p.Labels["pod-template-hash"]; h != "" {
			if d, ok := strings.CutSuffix(ref.Name, "-"+h); ok && d != "" {
				return "deployment/" + d
			}
		}
	}
	return strings.ToLower(ref.Kind) + "/" + ref.Name
}

// ServiceInfo is what the peer table keeps of a Service. A headless
// Service has no cluster IP; its pods are named as pods.
func ServiceInfo(s *corev1.Service) inspect.PeerServiceInfo {
	info := inspect.PeerServiceInfo{Namespace: s.Namespace, Name: s.Name}
	var ips []string
	for _, ip := range append([]string{s.Spec.ClusterIP}, s.Spec.ClusterIPs...) {
		if ip != corev1.ClusterIPNone {
			ips = append(ips, ip)
		}
	}
	info.IPs = parseAddrs(ips)
	for _, sp := range s.Spec.Ports {
		if sp.Name == "" {
			continue
		}
		if info.Ports == nil {
			info.Ports = map[string]string{}
		}
		info.Ports[inspect.K8sPortKey(sp.Port, string(sp.Protocol))] = sp.Name
	}
	return info
}

// NodeAddrs are a node's InternalIP and ExternalIP addresses.
func NodeAddrs(n *corev1.Node) []netip.Addr {
	var ips []string
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeExternalIP {
			ips = append(ips, a.Address)
		}
	}
	return parseAddrs(ips)
}

// parseAddrs parses the valid addresses of ss, each once, sorted.
func parseAddrs(ss []string) []netip.Addr {
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for _, s := range ss {
		a, err := netip.ParseAddr(s)
		if err != nil || seen[a.Unmap()] {
			continue
		}
		seen[a.Unmap()] = true
		out = append(out, a.Unmap())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}
