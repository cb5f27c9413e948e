package runtime

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCgroupLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    CgroupLine
		wantErr bool
	}{
		{"v2", "0::/system.slice/sshd.service", CgroupLine{Path: "/system.slice/sshd.service"}, false},
		{"v1 named", "9:name=systemd:/docker/x", CgroupLine{Hierarchy: 9, Controllers: []string{"name=systemd"}, Path: "/docker/x"}, false},
		{"v1 multi", "4:cpu,cpuacct:/", CgroupLine{Hierarchy: 4, Controllers: []string{"cpu", "cpuacct"}, Path: "/"}, false},
		{"deleted", "0::/fixture-zombie-probe-2099 (deleted)", CgroupLine{Path: "/fixture-zombie-probe-2099", Deleted: true}, false},
		{"colons in path", "0::/podruntime.slice/containerd.service/kubepods-burstable-pod29349498_197c_4919_b13f_9a928e7d001b.slice:cri-containerd:0ca2",
			CgroupLine{Path: "/podruntime.slice/containerd.service/kubepods-burstable-pod29349498_197c_4919_b13f_9a928e7d001b.slice:cri-containerd:0ca2"}, false},
		{"bad hierarchy", "x::/", CgroupLine{}, true},
		{"negative hierarchy", "-1::/", CgroupLine{}, true},
		{"no separators", "garbage", CgroupLine{}, true},
		{"no path field", "0:pids", CgroupLine{}, true},
		{"relative path", "0::docker/x", CgroupLine{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCgroupLine(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrParse) {
				t.Errorf("err %v does not wrap ErrParse", err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

const (
	id1 = "5694f82f44168cc048e014ae14d1b0c8ef673bec49f329dc169911ea638f63c2"
)

// TestClassifyCgroup runs cgroup paths copied from real hosts of every
// runtime and layout (systemd and cgroupfs drivers, nesting, rootless).
func TestClassifyCgroup(t *testing.T) {
	none := CgroupMatch{}
	for _, tc := range []struct {
		name string
		path string
		want CgroupMatch
		ok   bool
	}{
		{"docker cgroupfs v1", "/docker/7951fb549ab99e0722a949b6c121634e1f3a36b5bacbe5392991e3b12251e6b8",
			CgroupMatch{Runtime: RuntimeDocker, ID: "7951fb549ab99e0722a949b6c121634e1f3a36b5bacbe5392991e3b12251e6b8"}, true},
		{"docker cgroupfs v2", "/docker/5aaf9eb7648eeb1459d86eaa0ace8bcfa93089642e5c3113a14250dae3238aaf",
			CgroupMatch{Runtime: RuntimeDocker, ID: "5aaf9eb7648eeb1459d86eaa0ace8bcfa93089642e5c3113a14250dae3238aaf"}, true},
		{"docker systemd", "/system.slice/docker-ee40841f79d52f66f4958c8a484bd2dfb453228874dcca1a3f2ec6e8420ec87c.scope",
			CgroupMatch{Runtime: RuntimeDocker, ID: "ee40841f79d52f66f4958c8a484bd2dfb453228874dcca1a3f2ec6e8420ec87c"}, true},
		{"docker rootless", "/user.slice/user-1000.slice/user@1000.service/user.slice/docker-ee40841f79d52f66f4958c8a484bd2dfb453228874dcca1a3f2ec6e8420ec87c.scope",
			CgroupMatch{Runtime: RuntimeDocker, ID: "ee40841f79d52f66f4958c8a484bd2dfb453228874dcca1a3f2ec6e8420ec87c", OwnerUID: 1000}, true},
		{"k8s containerd systemd v1", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podeb052b63_ea96_4728_ab4a_64ab3babccd7.slice/cri-containerd-" + id1 + ".scope",
			CgroupMatch{Runtime: RuntimeContainerd, ID: id1, PodUID: "eb052b63-ea96-4728-ab4a-64ab3babccd7", QoS: "besteffort"}, true},
		{"k8s containerd systemd v2", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod4c9f1974_5c46_44c2_b42f_3bbf0e98eef9.slice/cri-containerd-bacb920470900725e0aa7d914fee5eb0854315448b024b6b8420ad8429c607ba.scope",
			CgroupMatch{Runtime: RuntimeContainerd, ID: "bacb920470900725e0aa7d914fee5eb0854315448b024b6b8420ad8429c607ba", PodUID: "4c9f1974-5c46-44c2-b42f-3bbf0e98eef9", QoS: "besteffort"}, true},
		{"k8s containerd guaranteed", "/kubepods.slice/kubepods-pod4c9f1974_5c46_44c2_b42f_3bbf0e98eef9.slice/cri-containerd-" + id1 + ".scope",
			CgroupMatch{Runtime: RuntimeContainerd, ID: id1, PodUID: "4c9f1974-5c46-44c2-b42f-3bbf0e98eef9", QoS: "guaranteed"}, true},
		{"k8s cgroupfs besteffort", "/kubepods/besteffort/pod26ab26cd-6409-443f-a13c-fd6c231207c8/ae7a1981e064c217035e0b23979c8defd51c850d1af26fbcf148187e5b0da61c",
			CgroupMatch{ID: "ae7a1981e064c217035e0b23979c8defd51c850d1af26fbcf148187e5b0da61c", Ambiguous: true, PodUID: "26ab26cd-6409-443f-a13c-fd6c231207c8", QoS: "besteffort"}, true},
		{"k8s cgroupfs guaranteed", "/kubepods/pod005f082b-5fd9-4650-8ef4-473e63bc2d13/6a825448c5ef07ac0c3b99532b18bdec0e1d0bb1eb41b4672d570634a1409a85",
			CgroupMatch{ID: "6a825448c5ef07ac0c3b99532b18bdec0e1d0bb1eb41b4672d570634a1409a85", Ambiguous: true, PodUID: "005f082b-5fd9-4650-8ef4-473e63bc2d13", QoS: "guaranteed"}, true},
		{"k8s cgroupfs v2", "/kubepods/besteffort/pod13cb8437-00ed-40e4-99d8-e17193a58086/a5a6a3af5d51ad95b915ca948710b90a94abc279e84963b9d22a39f342ce67d9",
			CgroupMatch{ID: "a5a6a3af5d51ad95b915ca948710b90a94abc279e84963b9d22a39f342ce67d9", Ambiguous: true, PodUID: "13cb8437-00ed-40e4-99d8-e17193a58086", QoS: "besteffort"}, true},
		{"containerd driver mismatch", "/podruntime.slice/containerd.service/kubepods-burstable-pod29349498_197c_4919_b13f_9a928e7d001b.slice:cri-containerd:0ca2b3cd20e5f55a2bbe8d4aa3f811cf7963b40f0542ad147054b0fcb60fc400",
			CgroupMatch{Runtime: RuntimeContainerd, ID: "0ca2b3cd20e5f55a2bbe8d4aa3f811cf7963b40f0542ad147054b0fcb60fc400", PodUID: "29349498-197c-4919-b13f-9a928e7d001b", QoS: "burstable"}, true},
		{"containerd mismatch static", "/kubepods-burstable-podbd12dd3393227d950605a2444b13c27a.slice:cri-containerd:d52db56a9c80d536a91354c0951c061187ca46249e64865a12703003d8f42366",
			CgroupMatch{Runtime: RuntimeContainerd, ID: "d52db56a9c80d536a91354c0951c061187ca46249e64865a12703003d8f42366", PodUID: "bd12dd3393227d950605a2444b13c27a", StaticPod: true, QoS: "burstable"}, true},
		{"nerdctl", "/system.slice/nerdctl-" + id1 + ".scope", CgroupMatch{Runtime: RuntimeContainerd, Flavor: "nerdctl", ID: id1}, true},
		{"crio systemd", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod63b3ebfc_2890_11e9_8154_16bf8ef8d9dc.slice/crio-17d8c9eacc629f9945f304d89e9708c0c619649a484a215b240628319548a09f.scope",
			CgroupMatch{Runtime: RuntimeCRIO, ID: "17d8c9eacc629f9945f304d89e9708c0c619649a484a215b240628319548a09f", PodUID: "63b3ebfc-2890-11e9-8154-16bf8ef8d9dc", QoS: "besteffort"}, true},
		{"crio crun subgroup", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod63b3ebfc_2890_11e9_8154_16bf8ef8d9dc.slice/crio-17d8c9eacc629f9945f304d89e9708c0c619649a484a215b240628319548a09f.scope/container",
			CgroupMatch{Runtime: RuntimeCRIO, ID: "17d8c9eacc629f9945f304d89e9708c0c619649a484a215b240628319548a09f", PodUID: "63b3ebfc-2890-11e9-8154-16bf8ef8d9dc", QoS: "besteffort"}, true},
		{"crio cgroupfs", "/kubepods/besteffort/pod63b3ebfc-2890-11e9-8154-16bf8ef8d9dc/crio-73bfe475650de66df8e2affdc98d440dcbe84f8df83b6f75a68a82eb7026136a",
			CgroupMatch{Runtime: RuntimeCRIO, ID: "73bfe475650de66df8e2affdc98d440dcbe84f8df83b6f75a68a82eb7026136a", PodUID: "63b3ebfc-2890-11e9-8154-16bf8ef8d9dc", QoS: "besteffort"}, true},
		{"crio conmon", "/system.slice/crio-conmon-5819a498721cf8bb7e334809c9e48aa310bfc98801eb8017034ad17fb0749920.scope", none, false},
		{"crio conmon in pod", "/kubepods.slice/kubepods-pod4c9f1974_5c46_44c2_b42f_3bbf0e98eef9.slice/crio-conmon-" + id1 + ".scope", none, false},
		{"podman rootful", "/machine.slice/libpod-89e89703fbd1e88b72d279d951ce389d3742874205196d73f96e0dcbc0da0659.scope/container",
			CgroupMatch{Runtime: RuntimePodman, ID: "89e89703fbd1e88b72d279d951ce389d3742874205196d73f96e0dcbc0da0659"}, true},
		{"podman pod", "/machine.slice/machine-libpod_pod_0a7c8532b5e0fb5064b894cc1381a62b53253dd450ad088ef0822ce37efceb04.slice/libpod-" + id1 + ".scope",
			CgroupMatch{Runtime: RuntimePodman, ID: id1, PodmanPod: "0a7c8532b5e0fb5064b894cc1381a62b53253dd450ad088ef0822ce37efceb04"}, true},
		{"podman rootless", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-6fb480da903b96185cd497db694641d13534e2b80cf4cb738b6691677146adea.scope/container",
			CgroupMatch{Runtime: RuntimePodman, ID: "6fb480da903b96185cd497db694641d13534e2b80cf4cb738b6691677146adea", OwnerUID: 1000}, true},
		{"podman conmon", "/machine.slice/libpod-conmon-" + id1 + ".scope", none, false},
		{"quadlet rootful", "/system.slice/nginx.service/libpod-payload-9687bac58d5c4d1606aa46af33d1a21c1d1652e0ac9fb3fc0fc86e3495f42869",
			CgroupMatch{Runtime: RuntimePodman, ID: "9687bac58d5c4d1606aa46af33d1a21c1d1652e0ac9fb3fc0fc86e3495f42869"}, true},
		{"quadlet rootless", "/user.slice/user-1000.slice/user@1000.service/app.slice/redis.service/libpod-payload-e8c29da1a2f6c4bb032304f7dfbc5a767e026092c4a2fcbc830e58565f972f54",
			CgroupMatch{Runtime: RuntimePodman, ID: "e8c29da1a2f6c4bb032304f7dfbc5a767e026092c4a2fcbc830e58565f972f54", OwnerUID: 1000}, true},
		{"quadlet runtime sibling", "/user.slice/user-1000.slice/user@1000.service/app.slice/redis.service/runtime", none, false},
		{"lxc", "/lxc.payload.waydroid", CgroupMatch{Runtime: RuntimeLXC, ID: "waydroid"}, true},
		{"lxc inner systemd", "/lxc.payload.gha-fleet_worker/system.slice/actions.runner.one-job.service", CgroupMatch{Runtime: RuntimeLXC, ID: "gha-fleet_worker"}, true},
		{"lxc monitor", "/lxc.monitor.waydroid", none, false},
		{"lxc legacy", "/lxc/web", CgroupMatch{Runtime: RuntimeLXC, ID: "web"}, true},
		{"incus", "/lxc.payload.user-1000_alpine-container/.lxc", CgroupMatch{Runtime: RuntimeLXC, ID: "user-1000_alpine-container"}, true},
		{"libvirt lxc", `/machine.slice/machine-lxc\x2d2293906\x2dlibvirt\x2dcontainer.scope/libvirt`,
			CgroupMatch{Runtime: RuntimeLXC, Flavor: "libvirt-lxc", ID: "lxc-2293906-libvirt-container"}, true},
		{"nspawn", `/machine.slice/machine-fedora\x2d39.scope/payload/init.scope`, CgroupMatch{Runtime: RuntimeNspawn, ID: "fedora-39"}, true},
		{"qemu vm", `/machine.slice/machine-qemu\x2d1\x2dvm.scope`, none, false},
		// Real shapes from e2e/runtimes on this project's machines (cgroupfs managers, no systemd).
		{"podman cgroupfs (here)", "/libpod_parent/libpod-1cf67400d089cd8ef38ef28f99c8f5b3b1ad9c7da360995efd69aa54bda60d5a",
			CgroupMatch{Runtime: RuntimePodman, ID: "1cf67400d089cd8ef38ef28f99c8f5b3b1ad9c7da360995efd69aa54bda60d5a"}, true},
		{"podman cgroupfs pod member (here)", "/libpod_parent/4392ac9e9ce7230266cbb1be5aeb93beb9575cc335091770caabd32645200bed/libpod-7ca6b3c816496d5ae394c688df9b10155d4ac4ff50da054f20a47813332b1f05",
			CgroupMatch{Runtime: RuntimePodman, ID: "7ca6b3c816496d5ae394c688df9b10155d4ac4ff50da054f20a47813332b1f05", PodmanPod: "4392ac9e9ce7230266cbb1be5aeb93beb9575cc335091770caabd32645200bed"}, true},
		{"podman cgroupfs pod conmon (here)", "/libpod_parent/4392ac9e9ce7230266cbb1be5aeb93beb9575cc335091770caabd32645200bed/conmon", none, false},
		{"podman cgroupfs conmon (here)", "/libpod_parent/conmon", none, false},
		{"nspawn service payload (here)", `/kns-e2e-25197/machine.slice/systemd-nspawn@kns\x2de2e\x2dns1.service/payload`,
			CgroupMatch{Runtime: RuntimeNspawn, ID: "kns-e2e-ns1"}, true},
		{"nspawn service supervisor (here)", `/kns-e2e-25197/machine.slice/systemd-nspawn@kns\x2de2e\x2dns1.service/supervisor`, none, false},
		{"nspawn scope supervisor", `/machine.slice/machine-fedora\x2d39.scope/supervisor`, none, false},
		{"lxc payload (here)", "/lxc.payload.kns-e2e-lxc-25197", CgroupMatch{Runtime: RuntimeLXC, ID: "kns-e2e-lxc-25197"}, true},
		{"bare runc (here)", "/kns-e2e-runc-25197", none, false},
		{"mesos", "/mesos/a9f41620-b165-4d24-abe0-af0af92e7b20", CgroupMatch{Flavor: "mesos", ID: "a9f41620-b165-4d24-abe0-af0af92e7b20"}, true},
		{"ci runner", "/actions_job/ec5fd62ba68d0b75a3cbdb7f7f78b526440b7969e22b2b362fb6f429ded42fdc",
			CgroupMatch{ID: "ec5fd62ba68d0b75a3cbdb7f7f78b526440b7969e22b2b362fb6f429ded42fdc", Ambiguous: true}, true},
		{"kind cgroupfs", "/system.slice/docker-c1146e7ccca9ab4436abd69923c07d097b37b762ed21cc3f24584c2f84e77c57.scope/kubelet/kubepods/burstable/pod09a70ae9ccc491e651e5c773579b3490/b0e6aa50e847c3d3b1880e307ec7996040275c8063832cffc9274defce2cb655",
			CgroupMatch{ID: "b0e6aa50e847c3d3b1880e307ec7996040275c8063832cffc9274defce2cb655", Ambiguous: true, PodUID: "09a70ae9ccc491e651e5c773579b3490", StaticPod: true, QoS: "burstable",
				NestedIn: []OuterContainer{{RuntimeDocker, "c1146e7ccca9ab4436abd69923c07d097b37b762ed21cc3f24584c2f84e77c57"}}}, true},
		{"kind systemd", "/system.slice/docker-c1146e7ccca9ab4436abd69923c07d097b37b762ed21cc3f24584c2f84e77c57.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod2edf54f8_6911_449f_9abe_3d468a770d6b.slice/cri-containerd-02de72688d6bb0908d279bbbb05ffa9d7e0b2ae17a8bf23683a33cc1349e55aa.scope",
			CgroupMatch{Runtime: RuntimeContainerd, ID: "02de72688d6bb0908d279bbbb05ffa9d7e0b2ae17a8bf23683a33cc1349e55aa", PodUID: "2edf54f8-6911-449f-9abe-3d468a770d6b", QoS: "besteffort",
				NestedIn: []OuterContainer{{RuntimeDocker, "c1146e7ccca9ab4436abd69923c07d097b37b762ed21cc3f24584c2f84e77c57"}}}, true},
		{"kind node service", "/system.slice/docker-c1146e7ccca9ab4436abd69923c07d097b37b762ed21cc3f24584c2f84e77c57.scope/system.slice/containerd.service",
			CgroupMatch{Runtime: RuntimeDocker, ID: "c1146e7ccca9ab4436abd69923c07d097b37b762ed21cc3f24584c2f84e77c57"}, true},
		{"minikube", "/system.slice/docker-1b3319ed9c1d4cca681f9c102da9b015555785b6240c4e4619f11b535cabdc07.scope/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podeb653d22_2525_47ca_9fc4_3762497ae1d2.slice/docker-84e9ffffe97fea4c5a0f01d401611cbafbf7e559fc6190ed74abfc2b25e889d4.scope",
			CgroupMatch{Runtime: RuntimeDocker, ID: "84e9ffffe97fea4c5a0f01d401611cbafbf7e559fc6190ed74abfc2b25e889d4", PodUID: "eb653d22-2525-47ca-9fc4-3762497ae1d2", QoS: "besteffort",
				NestedIn: []OuterContainer{{RuntimeDocker, "1b3319ed9c1d4cca681f9c102da9b015555785b6240c4e4619f11b535cabdc07"}}}, true},
		{"fixture prefix", "/netstat-fixture-ab12/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podeb052b63_ea96_4728_ab4a_64ab3babccd7.slice/cri-containerd-" + id1 + ".scope",
			CgroupMatch{Runtime: RuntimeContainerd, ID: id1, PodUID: "eb052b63-ea96-4728-ab4a-64ab3babccd7", QoS: "besteffort"}, true},
		{"deleted suffix", "/docker/" + id1 + " (deleted)", CgroupMatch{Runtime: RuntimeDocker, ID: id1}, true},
		{"host sshd", "/system.slice/sshd.service", none, false},
		{"host session", "/user.slice/user-1000.slice/session-3.scope", none, false},
		{"init scope", "/init.scope", none, false},
		{"root", "/", none, false},
		{"containerd service", "/system.slice/containerd.service", none, false},
		{"short id", "/docker/7951fb549ab9", none, false},
		{"upper hex", "/docker/" + strings.ToUpper(id1), none, false},
		{"pod slice only", "/kubepods.slice/kubepods-pod4c9f1974_5c46_44c2_b42f_3bbf0e98eef9.slice", none, false},
		{"cgroupns relative", "/../b", none, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ClassifyCgroup(tc.path)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok {
				return
			}
			want := tc.want
			want.Path = strings.TrimSuffix(tc.path, " (deleted)")
			if want.OwnerUID == 0 {
				want.OwnerUID = -1
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestClassifyCgroupLines(t *testing.T) {
	for _, tc := range []struct {
		file   string
		wantID string
		ok     bool
	}{
		{"hybrid-docker.txt", "7951fb549ab99e0722a949b6c121634e1f3a36b5bacbe5392991e3b12251e6b8", true},
		{"hybrid-shim-v2-ancestor.txt", "ae7a1981e064c217035e0b23979c8defd51c850d1af26fbcf148187e5b0da61c", true},
		{"v2-containerd-systemd.txt", "bacb920470900725e0aa7d914fee5eb0854315448b024b6b8420ad8429c607ba", true},
		{"crio-conmon.txt", "", false},
		{"host.txt", "", false},
		{"deleted.txt", "", false},
		{"cgroupns.txt", "", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cgroup", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			lines, err := ParseCgroup(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			m, ok := ClassifyCgroupLines(lines)
			if ok != tc.ok || m.ID != tc.wantID {
				t.Errorf("got %q, %v; want %q, %v", m.ID, ok, tc.wantID, tc.ok)
			}
		})
	}
	// The 0:: line wins over v1 lines when both match.
	lines := []CgroupLine{
		{Hierarchy: 8, Controllers: []string{"pids"}, Path: "/docker/" + strings.Repeat("b", 64)},
		{Path: "/system.slice/docker-" + strings.Repeat("a", 64) + ".scope"},
	}
	if m, _ := ClassifyCgroupLines(lines); m.ID != strings.Repeat("a", 64) {
		t.Errorf("preferred %q, want the 0:: line", m.ID)
	}
}

func FuzzParseCgroup(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "cgroup", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, _ := ParseCgroup(bytes.NewReader(b))
		ClassifyCgroupLines(lines)
		ClassifyCgroup(string(b))
	})
}
