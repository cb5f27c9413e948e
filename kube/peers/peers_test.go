package peers

import (
	"context"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

func pod(ns, name, ip string, phase corev1.PodPhase, mut ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{
			{Name: "http", ContainerPort: 8080}, {ContainerPort: 9090}, {Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}}}}},
		Status: corev1.PodStatus{Phase: phase, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}},
	}
	for _, m := range mut {
		m(p)
	}
	return p
}

func lookup(t *testing.T, tb *inspect.PeerTable, ap string, proto inspect.Proto) string {
	t.Helper()
	p := tb.Lookup(netip.MustParseAddrPort(ap), proto)
	if p == nil {
		return "-"
	}
	s := p.Kind.String() + ":" + p.Text()
	if p.PortName != "" {
		s += ":" + p.PortName
	}
	if p.Workload != "" {
		s += " " + p.Workload
	}
	return s
}

func TestResolverFromLists(t *testing.T) {
	isCtl := true
	cs := fake.NewClientset(
		pod("shop", "web-7c5d9-abcde", "192.0.2.10", corev1.PodRunning, func(p *corev1.Pod) {
			p.Labels = map[string]string{"pod-template-hash": "7c5d9"}
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-7c5d9", Controller: &isCtl}}
		}),
		pod("shop", "db-0", "192.0.2.11", corev1.PodRunning, func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "StatefulSet", Name: "db", Controller: &isCtl}}
		}),
		pod("shop", "done", "192.0.2.12", corev1.PodSucceeded),
		pod("kube-system", "proxy", "198.51.100.1", corev1.PodRunning, func(p *corev1.Pod) { p.Spec.HostNetwork = true }),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
			Spec: corev1.ServiceSpec{ClusterIP: "203.0.113.10", ClusterIPs: []string{"203.0.113.10"},
				Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db-headless"},
			Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{{Name: "pg", Port: 5432}}}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-1"}, Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "198.51.100.1"}, {Type: corev1.NodeHostName, Address: "worker-1"}}}},
	)
	r, err := New(context.Background(), cs, "default", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if n := r.Notice(); n != "" {
		t.Errorf("Notice = %q, want none", n)
	}
	tb := r.Table()
	for _, tc := range []struct {
		ap    string
		proto inspect.Proto
		want  string
	}{
		{"192.0.2.10:8080", inspect.ProtoTCP, "pod:shop/web-7c5d9-abcde:http deployment/web"},
		{"192.0.2.10:9090", inspect.ProtoTCP, "pod:shop/web-7c5d9-abcde deployment/web"},
		{"192.0.2.10:53", inspect.ProtoUDP, "pod:shop/web-7c5d9-abcde:dns deployment/web"},
		{"192.0.2.11:8080", inspect.ProtoTCP, "pod:shop/db-0:http statefulset/db"},
		{"192.0.2.12:8080", inspect.ProtoTCP, "-"},
		{"198.51.100.1:10250", inspect.ProtoTCP, "node:node/worker-1"},
		{"203.0.113.10:80", inspect.ProtoTCP, "service:svc/shop/web:http"},
		{"203.0.113.10:81", inspect.ProtoTCP, "service:svc/shop/web"},
		{"192.0.2.99:80", inspect.ProtoTCP, "-"},
	} {
		if got := lookup(t, tb, tc.ap, tc.proto); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.ap, got, tc.want)
		}
	}
}

func TestResolverWatch(t *testing.T) {
	cs := fake.NewClientset(pod("shop", "a", "192.0.2.20", corev1.PodRunning))
	r, err := New(context.Background(), cs, "default", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r.Watch()
	t.Cleanup(r.Close)
	if got := lookup(t, r.Table(), "192.0.2.20:1", inspect.ProtoTCP); got != "pod:shop/a" {
		t.Fatalf("before: %q", got)
	}
	ctx := context.Background()
	if _, err := cs.CoreV1().Pods("shop").Create(ctx, pod("shop", "b", "192.0.2.21", corev1.PodRunning), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Pods("shop").Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, b := lookup(t, r.Table(), "192.0.2.20:1", inspect.ProtoTCP), lookup(t, r.Table(), "192.0.2.21:1", inspect.ProtoTCP)
		if a == "-" && b == "pod:shop/b" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch did not catch up: deleted pod %q, new pod %q", a, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
