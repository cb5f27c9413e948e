package kube

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestPodDeclaredPorts(t *testing.T) {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:  "app",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}},
			LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("http")}}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(9090)}}},
			StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("no-such-name")}}},
		}}},
	}
	want := []DeclaredPort{
		{Namespace: "shop", Pod: "web"},
		{Namespace: "shop", Pod: "web", Container: "app", Port: 8080},
		{Namespace: "shop", Pod: "web", Container: "app", Port: 53, Proto: "UDP"},
		{Namespace: "shop", Pod: "web", Container: "app", Port: 8080, Proto: "TCP", Probe: true},
		{Namespace: "shop", Pod: "web", Container: "app", Port: 9090, Proto: "TCP", Probe: true},
	}
	if d := cmp.Diff(want, podDeclaredPorts(p)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
