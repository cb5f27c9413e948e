package runtime

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUserdataRecord(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want StateRecord
	}{
		{"crio container", readStateTestdata(t, "crio-container-config.json"), StateRecord{Runtime: RuntimeCRIO, ID: "x", Name: "app",
			Image: "quay.io/example/app:1.0", Pod: &Pod{Namespace: "prod", Name: "api-6d4f", UID: "63b3ebfc-2890-11e9-8154-16bf8ef8d9dc"},
			SandboxID: "17d8c9eacc629f9945f304d89e9708c0c619649a484a215b240628319548a09f", NetnsPath: "/var/run/netns/8b8677c8-8929-4746-8206-514069760f6e"}},
		// Podman pod members carry CRI-O keys; io.container.manager decides.
		// The SandboxID key names the pod's infra container.
		{"podman pod member", readStateTestdata(t, "podman-pod-member-config.json"), StateRecord{Runtime: RuntimePodman, ID: "x",
			SandboxID: "0a7c8532b5e0fb5064b894cc1381a62b53253dd450ad088ef0822ce37efceb04",
			NetnsPath: "/run/netns/netns-c306bb49-44f0-2f82-21d1-2613696aa617"}},
		{"crio sandbox", `{"annotations":{"io.container.manager":"cri-o","io.kubernetes.cri-o.ContainerType":"sandbox","io.kubernetes.container.name":"POD","io.kubernetes.pod.name":"p","io.kubernetes.pod.namespace":"n","io.kubernetes.pod.uid":"u"},"linux":{"namespaces":[{"type":"network","path":"/var/run/netns/abc"}]}}`,
			StateRecord{Runtime: RuntimeCRIO, ID: "x", Pod: &Pod{Namespace: "n", Name: "p", UID: "u"}, Sandbox: true, SandboxID: "x", NetnsPath: "/var/run/netns/abc"}},
		{"crio hostNetwork sandbox", `{"annotations":{"io.kubernetes.cri-o.ContainerType":"sandbox","io.kubernetes.cri-o.HostNetwork":"true"},"linux":{"namespaces":[]}}`,
			StateRecord{Runtime: RuntimeCRIO, ID: "x", Sandbox: true, SandboxID: "x", HostNetwork: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseOCIConfig(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, userdataRecord("x", c)); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestUserdataStateDrivers: config.json in the graph root, the pidfile in the
// run root, under a vfs store and an overlay store; names from each driver's
// containers.json; an unprivileged store is believed only for its own IDs.
func TestUserdataStateDrivers(t *testing.T) {
	host := t.TempDir()
	fs := testFS{ProcRoot: "/proc", HostRoot: host}
	cfg := `{"annotations":{"io.container.manager":"libpod","io.kubernetes.cri-o.SandboxID":"` + pmInfra + `"},"linux":{"namespaces":[{"type":"network","path":"/proc/4242/ns/net"}]}}`
	writeFile(t, host, "var/lib/containers/storage/vfs-containers/"+pmID+"/userdata/config.json", cfg)
	writeFile(t, host, "run/containers/storage/vfs-containers/"+pmID+"/userdata/pidfile", "4243")
	writeFile(t, host, "var/lib/containers/storage/vfs-containers/containers.json", `[{"id":"`+pmID+`","names":["web"],"metadata":"{\"image-name\":\"localhost/img:1\",\"name\":\"web\"}"}]`)
	other := "aa" + pmID[2:]
	writeFile(t, host, "alt/root/overlay-containers/"+other+"/userdata/config.json", `{"annotations":{"io.container.manager":"libpod"}}`)
	writeFile(t, host, "alt/run/overlay-containers/"+other+"/userdata/pidfile", "5000")
	writeFile(t, host, "alt/root/overlay-containers/containers.json", `[{"id":"`+other+`","names":["alt"]}]`)
	// A user's store claiming someone else's container.
	spoof := "bb" + pmID[2:]
	writeFile(t, host, "home/u/storage/vfs-containers/"+spoof+"/userdata/config.json", `{"annotations":{"io.container.manager":"libpod"}}`)
	writeFile(t, host, "home/u/storage/vfs-containers/containers.json", `[{"id":"`+spoof+`","names":["spoof"]},{"id":"`+pmID+`","names":["evil"]}]`)

	roots := []StorageRoot{{Graph: "/var/lib/containers/storage", Run: "/run/containers/storage"},
		{Graph: "/alt/root", Run: "/alt/run"},
		{Graph: "/home/u/storage", Run: "/home/u/run", IDs: map[string]bool{"cc" + pmID[2:]: true}}}
	recs, warns := UserdataState(fs, roots)
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	got := map[string]StateRecord{}
	for _, r := range recs {
		r.Source = ""
		got[r.ID] = r
	}
	want := map[string]StateRecord{
		pmID:  {Runtime: RuntimePodman, ID: pmID, SandboxID: pmInfra, NetnsPath: "/proc/4242/ns/net", InitPID: 4243},
		other: {Runtime: RuntimePodman, ID: other, InitPID: 5000},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("records (-want +got)\n%s", d)
	}
	names, _ := StorageNames(fs, roots)
	if names[pmID].Names[0] != "web" || names[other].Names[0] != "alt" {
		t.Errorf("names: %+v", names)
	}
	if _, ok := names[spoof]; ok {
		t.Errorf("an unprivileged store named a container it does not monitor: %+v", names[spoof])
	}
}
