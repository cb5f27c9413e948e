package kube

import (
	"bytes"
	"errors"
	"strings"
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

func TestDecodeAgentOutput(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		wantOut  string
		wantDiag []string
		wantErr  string
	}{
		{name: "empty"},
		{name: "records", in: "{\"proto\":\"tcp\"}\n{\"proto\":\"udp\"}\n", wantOut: "{\"proto\":\"tcp\"}\n{\"proto\":\"udp\"}\n"},
		{name: "no final newline", in: `{"a":1}`, wantOut: "{\"a\":1}\n"},
		{name: "crlf and blanks", in: "{\"a\":1}\r\n\r\n  \n{\"b\":2}\n", wantOut: "{\"a\":1}\n{\"b\":2}\n"},
		{name: "stderr interleaved", in: "{\"a\":1}\nkubectl-netstat: warning: hidepid\n{\"b\":2}\n",
			wantOut: "{\"a\":1}\n{\"b\":2}\n", wantDiag: []string{"kubectl-netstat: warning: hidepid"}},
		{name: "only errors", in: "kubectl-netstat: --host-root /host: not found\n",
			wantDiag: []string{"kubectl-netstat: --host-root /host: not found"}},
		{name: "truncated record", in: "{\"a\":1}\n{\"proto\":\"tc\n", wantOut: "{\"a\":1}\n", wantErr: "line 2: not a complete JSON object"},
		{name: "two objects on a line", in: "{\"a\":1}{\"b\":2}\n", wantErr: "line 1: not a complete JSON object"},
		{name: "line too long", in: "{\"a\":\"" + strings.Repeat("x", maxAgentLine) + "\"}\n", wantErr: "line 1: bufio.Scanner: token too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			diag, err := DecodeAgentOutput(strings.NewReader(tc.in), &out)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantOut, out.String()); diff != "" {
				t.Errorf("out (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantDiag, diag); diff != "" {
				t.Errorf("diag (-want +got):\n%s", diff)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("closed pipe") }

func TestDecodeAgentOutputWriteError(t *testing.T) {
	if _, err := DecodeAgentOutput(strings.NewReader("{}\n"), failWriter{}); err == nil || !strings.Contains(err.Error(), "closed pipe") {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

func FuzzDecodeAgentOutput(f *testing.F) {
	for _, s := range []string{"", "{}\n", "{\"proto\":\"tcp\",\"local_port\":22}\nwarn\n", "{\n", "\r\n{\"a\":[1,2]}\r\n", "x{}\n{x}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		diag, err := DecodeAgentOutput(strings.NewReader(in), &out)
		// Everything written is complete JSON objects, one per line.
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if l != "" && !jsonObject([]byte(l)) {
				t.Fatalf("wrote a non-object line %q (err %v)", l, err)
			}
		}
		for _, d := range diag {
			if d == "" || strings.Contains(d, "\n") || strings.HasPrefix(d, "{") {
				t.Fatalf("bad diagnostic %q", d)
			}
		}
	})
}
