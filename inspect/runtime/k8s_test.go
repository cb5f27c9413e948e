package runtime

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLogLinkName(t *testing.T) {
	const id = "7ee1a039a63dd32b0a5a16027766217c6d1c8f6f23ed8583794fb7323bebcd98"
	for _, tc := range []struct {
		name string
		in   string
		want LogLink
		ok   bool
	}{
		{"real", "coredns-668d6bf9bc-9gsf6_kube-system_coredns-" + id + ".log", LogLink{"coredns-668d6bf9bc-9gsf6", "kube-system", "coredns", id}, true},
		{"dashed container", "web-0_shop_istio-proxy-" + id + ".log", LogLink{"web-0", "shop", "istio-proxy", id}, true},
		{"no .log", "web-0_shop_c-" + id, LogLink{}, false},
		{"short id", "web-0_shop_c-7ee1a039a63d.log", LogLink{}, false},
		{"upper id", "web-0_shop_c-" + strings.ToUpper(id) + ".log", LogLink{}, false},
		{"no dash before id", "web-0_shop_c_" + id + ".log", LogLink{}, false},
		{"missing namespace", "web-0_c-" + id + ".log", LogLink{}, false},
		{"empty pod", "_shop_c-" + id + ".log", LogLink{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseLogLinkName(tc.in)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestParseCNICache(t *testing.T) {
	c, err := parseCNICache(strings.NewReader(readStateTestdata(t, "cni-cache.json")))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.ContainerID[:8], c.Netns, c.Arg("K8S_POD_NAMESPACE"), c.Arg("K8S_POD_NAME"), c.Arg("K8S_POD_UID"), c.Arg("MISSING")}
	want := []string{"3f6940ab", "/var/run/netns/8b8677c8-8929-4746-8206-514069760f6e", "default", "macvlan", "b6a9f5b8-2d43-4b8e-9a37-6f2f5f0f9c11", ""}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	for name, in := range map[string]string{
		"no containerId":    `{"kind":"cniCacheV1","netns":"/x"}`,
		"cniArgs not pairs": `{"containerId":"a","cniArgs":{"K8S_POD_NAME":"x"}}`,
		"netns not string":  `{"containerId":"a","netns":1}`,
		"truncated":         `{"containerId":"a"`,
	} {
		if _, err := parseCNICache(strings.NewReader(in)); !errors.Is(err, ErrParse) {
			t.Errorf("%s: err = %v, want ErrParse", name, err)
		}
	}
}

func FuzzParseCNICache(f *testing.F) {
	f.Add(readStateTestdata(f, "cni-cache.json"))
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := parseCNICache(strings.NewReader(s)); err == nil {
			c.Arg("K8S_POD_NAME")
		}
		parseLogLinkName(s)
	})
}
