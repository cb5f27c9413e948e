package kube

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// krewManifest is the part of krew's v1alpha2 Plugin that this project fills.
type krewManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
			Bin    string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

// TestPluginManifest renders ../plugin.yaml the way krew-release-bot does
// (TagName and addURIAndSha) and checks what krew's validation checks.
func TestPluginManifest(t *testing.T) {
	raw, err := os.ReadFile("../plugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const tag = "v1.2.3"
	s := strings.ReplaceAll(string(raw), "{{ .TagName }}", tag)
	s = regexp.MustCompile(`\{\{addURIAndSha "([^"]+)" \.TagName \}\}`).ReplaceAllString(s,
		"uri: $1\n    sha256: "+strings.Repeat("e3", 32))
	if strings.Contains(s, "{{") {
		t.Fatalf("unrendered template left:\n%s", s)
	}
	var m krewManifest
	if err := yaml.UnmarshalStrict([]byte(s), &m); err != nil {
		t.Fatalf("rendered manifest is not a valid Plugin: %v\n%s", err, s)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "netstat" {
		t.Errorf("header = %s %s %s", m.APIVersion, m.Kind, m.Metadata.Name)
	}
	if m.Spec.Version != tag || m.Spec.ShortDescription == "" || m.Spec.Homepage == "" {
		t.Errorf("spec = %+v", m.Spec)
	}
	for _, w := range []string{"PRIVILEGED", "pods/log", "pods/exec", "root"} {
		if !strings.Contains(m.Spec.Caveats, w) {
			t.Errorf("caveats do not mention %q", w)
		}
	}
	seen := map[string]bool{}
	for _, p := range m.Spec.Platforms {
		key := p.Selector.MatchLabels["os"] + "/" + p.Selector.MatchLabels["arch"]
		if seen[key] {
			t.Errorf("platform %s twice", key)
		}
		seen[key] = true
		if !strings.HasPrefix(p.URI, "https://") || !strings.Contains(p.URI, tag) || len(p.Sha256) != 64 || p.Bin == "" {
			t.Errorf("platform %s = %+v", key, p)
		}
		if strings.HasPrefix(key, "windows/") != strings.HasSuffix(p.Bin, ".exe") {
			t.Errorf("platform %s bin %q", key, p.Bin)
		}
	}
	if !seen["linux/amd64"] || !seen["linux/arm64"] {
		t.Errorf("platforms = %v, want linux amd64 and arm64", seen)
	}
}
