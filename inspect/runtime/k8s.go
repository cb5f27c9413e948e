package runtime

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// LogLink is what a /var/log/containers/<pod>_<ns>_<ctr>-<id>.log name says.
type LogLink struct {
	Pod, Namespace, Container, ID string
}

// parseLogLinkName parses a kubelet container log symlink name. It parses from
// the right: pod and namespace names cannot contain '_', container names can hold '-'.
func parseLogLinkName(name string) (LogLink, bool) {
	s, ok := strings.CutSuffix(name, ".log")
	if !ok || len(s) < 66 || s[len(s)-65] != '-' {
		return LogLink{}, false
	}
	id := s[len(s)-64:]
	if !IsHex64(id) {
		return LogLink{}, false
	}
	parts := strings.SplitN(s[:len(s)-65], "_", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return LogLink{}, false
	}
	return LogLink{Pod: parts[0], Namespace: parts[1], Container: parts[2], ID: id}, true
}

// LogLinks reads the names in /var/log/containers: container id → link.
func LogLinks(fs Paths) map[string]LogLink {
	out := map[string]LogLink{}
	ents, err := os.ReadDir(fs.Host("/var/log/containers"))
	if err != nil {
		return out
	}
	for _, e := range ents {
		if l, ok := parseLogLinkName(e.Name()); ok {
			out[l.ID] = l
		}
	}
	return out
}

// CNICache is the part of a /var/lib/cni/results/<net>-<sandboxID>-<if> file used here.
type CNICache struct {
	Kind        string     `json:"kind"`
	ContainerID string     `json:"containerId"`
	IfName      string     `json:"ifName"`
	NetworkName string     `json:"networkName"`
	Netns       string     `json:"netns"`
	CNIArgs     [][]string `json:"cniArgs"`
}

// Arg returns a CNI_ARGS value (K8S_POD_NAME, K8S_POD_NAMESPACE, K8S_POD_UID, …).
func (c *CNICache) Arg(k string) string {
	for _, kv := range c.CNIArgs {
		if len(kv) == 2 && kv[0] == k {
			return kv[1]
		}
	}
	return ""
}

// parseCNICache parses one CNI result cache file.
func parseCNICache(r io.Reader) (*CNICache, error) {
	var c CNICache
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return nil, fmt.Errorf("cni cache: %v: %w", err, ErrParse)
	}
	if c.ContainerID == "" {
		return nil, fmt.Errorf("cni cache: no containerId: %w", ErrParse)
	}
	return &c, nil
}

// CNIState reads /var/lib/cni/results/*: each names a sandbox, its netns path and pod.
func CNIState(fs Paths) ([]StateRecord, []error) {
	var recs []StateRecord
	var warns []error
	files, _ := filepath.Glob(fs.Host("/var/lib/cni/results", "*"))
	for _, p := range files {
		c, err := readParsed(p, parseCNICache)
		if err != nil {
			warns = append(warns, fmt.Errorf("%s: %w (skipped)", fs.HostRel(p), err))
			continue
		}
		r := StateRecord{ID: c.ContainerID, Sandbox: true, SandboxID: c.ContainerID, NetnsPath: c.Netns, Source: fs.HostRel(p), CNI: true}
		if n := c.Arg("K8S_POD_NAME"); n != "" {
			r.Pod = &Pod{Namespace: c.Arg("K8S_POD_NAMESPACE"), Name: n, UID: c.Arg("K8S_POD_UID")}
		}
		recs = append(recs, r)
	}
	return recs, warns
}
