package kube

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestAgentPodSpec(t *testing.T) {
	p := AgentPodSpec("ops", "node-7", "example.com/netstat:v1", []string{"-tlnp"}, 90*time.Second)
	s := p.Spec
	if p.Namespace != "ops" || p.GenerateName == "" || p.Name != "" {
		t.Errorf("meta = ns %q generateName %q name %q", p.Namespace, p.GenerateName, p.Name)
	}
	if p.Labels[LabelManagedBy] != "kubectl-netstat" {
		t.Errorf("labels = %v", p.Labels)
	}
	if s.NodeName != "node-7" || !s.HostPID || s.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("nodeName %q hostPID %v restartPolicy %q", s.NodeName, s.HostPID, s.RestartPolicy)
	}
	if s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds != 90 {
		t.Errorf("activeDeadlineSeconds = %v", s.ActiveDeadlineSeconds)
	}
	if diff := cmp.Diff([]corev1.Toleration{{Operator: corev1.TolerationOpExists}}, s.Tolerations); diff != "" {
		t.Errorf("tolerations (-want +got):\n%s", diff)
	}
	if len(s.Containers) != 1 {
		t.Fatalf("containers = %d", len(s.Containers))
	}
	c := s.Containers[0]
	if c.Image != "example.com/netstat:v1" {
		t.Errorf("image = %q", c.Image)
	}
	if diff := cmp.Diff([]string{AgentBinary, "--host-root=/host", "--output=ndjson", "-tlnp"}, append(c.Command, c.Args...)); diff != "" {
		t.Errorf("command (-want +got):\n%s", diff)
	}
	if c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Errorf("not privileged: %+v", c.SecurityContext)
	}
	if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/host" || !c.VolumeMounts[0].ReadOnly {
		t.Errorf("mounts = %+v", c.VolumeMounts)
	}
	if len(s.Volumes) != 1 || s.Volumes[0].HostPath == nil || s.Volumes[0].HostPath.Path != "/" {
		t.Errorf("volumes = %+v", s.Volumes)
	}
	// A sub-second deadline still gives the kubelet a valid value.
	if d := AgentPodSpec("ops", "n", "i", nil, 10*time.Millisecond).Spec.ActiveDeadlineSeconds; *d != 1 {
		t.Errorf("activeDeadlineSeconds for 10ms = %d, want 1", *d)
	}
	// AgentArgs must not alias its input.
	in := make([]string, 1, 8)
	in[0] = "-a"
	a := AgentArgs(in)
	_ = append(in, "x")
	if a[len(a)-1] != "-a" {
		t.Errorf("AgentArgs aliases its input: %q", a)
	}
}
