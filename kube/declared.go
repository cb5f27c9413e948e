package kube

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DeclaredPort is one port a pod tells the API about: a containerPort, or
// (Probe set) the port of a liveness, readiness or startup probe, named
// ports resolved to numbers. Proto is the Kubernetes protocol ("" means
// TCP). The fields match audit.DeclaredPort, so the caller converts with
// audit.DeclaredPort(p); kube does not import audit.
type DeclaredPort struct {
	Namespace, Pod, Container string
	Port                      uint16
	Proto                     string
	Probe                     bool
}

// DeclaredPorts fetches the pods found running on this host, named in keys
// by UID or by "namespace/name", and returns what they declare: every containerPort,
// and every probe port marked Probe. A fetched pod that declares nothing
// gets one entry with Port 0, so it is still compared.
func (o *Options) DeclaredPorts(ctx context.Context, keys map[string]bool) ([]DeclaredPort, error) {
	if err := o.Complete(); err != nil {
		return nil, err
	}
	var list *corev1.PodList
	err := o.call(ctx, func(ctx context.Context) (err error) {
		list, err = o.Client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		return err
	})
	if err != nil {
		return nil, o.apiError(err, "list pods", "list", "pods", "")
	}
	var out []DeclaredPort
	for i := range list.Items {
		p := &list.Items[i]
		if !keys[string(p.UID)] && !keys[p.Namespace+"/"+p.Name] {
			continue
		}
		out = append(out, podDeclaredPorts(p)...)
	}
	return out, nil
}

// podDeclaredPorts lists one pod's containerPorts and probe ports, with named
// probe ports resolved through the container's port names.
func podDeclaredPorts(p *corev1.Pod) []DeclaredPort {
	out := []DeclaredPort{{Namespace: p.Namespace, Pod: p.Name}}
	containers := append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...)
	for _, c := range containers {
		named := map[string]int32{}
		for _, cp := range c.Ports {
			if cp.Name != "" {
				named[cp.Name] = cp.ContainerPort
			}
			out = append(out, DeclaredPort{Namespace: p.Namespace, Pod: p.Name, Container: c.Name,
				Port: uint16(cp.ContainerPort), Proto: string(cp.Protocol)})
		}
		for _, pr := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if port, ok := probePort(pr, named); ok {
				out = append(out, DeclaredPort{Namespace: p.Namespace, Pod: p.Name, Container: c.Name,
					Port: port, Proto: "TCP", Probe: true})
			}
		}
	}
	return out
}

func probePort(pr *corev1.Probe, named map[string]int32) (uint16, bool) {
	if pr == nil {
		return 0, false
	}
	var v *intstr.IntOrString
	switch {
	case pr.HTTPGet != nil:
		v = &pr.HTTPGet.Port
	case pr.TCPSocket != nil:
		v = &pr.TCPSocket.Port
	case pr.GRPC != nil:
		return uint16(pr.GRPC.Port), true
	default:
		return 0, false
	}
	if v.Type == intstr.String {
		n, ok := named[v.StrVal]
		return uint16(n), ok
	}
	return uint16(v.IntVal), true
}
