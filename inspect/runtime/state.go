package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/internal/safefile"
)

// StateRecord is what one runtime's on-disk state says about one container.
type StateRecord struct {
	Runtime Runtime
	ID      string
	Name    string
	Image   string
	Pod     *Pod
	// Sandbox marks a pod sandbox (pause/infra) container.
	Sandbox   bool
	SandboxID string
	// NetnsPath is the host path of the container's network namespace as the
	// runtime wrote it (/var/run/netns/cni-…, /proc/PID/ns/net), "" when none is named.
	NetnsPath string
	// HostNetwork is set when the state says the container shares the host netns.
	HostNetwork bool
	// JoinsContainer is the ID of the container whose netns this one joined
	// (Docker NetworkMode container:<id>).
	JoinsContainer string
	// InitPID is the container init's pid in the runtime's pid namespace, 0 when unknown.
	InitPID int
	// InitStart is the init's start time (clock ticks, /proc/PID/stat field 22)
	// when the state records it (runc, crun), 0 when unknown.
	InitStart uint64
	// Enrich marks a record that only fills in a container found otherwise
	// (a cgroup, a manager's own state) and never adds one.
	Enrich bool
	// CNI marks a record from a CNI result cache (/var/lib/cni/results).
	CNI bool
	// Source is the file the record came from (host path).
	Source string
}

// OCIConfig is the part of an OCI runtime spec (bundle config.json) used to name containers.
type OCIConfig struct {
	Annotations map[string]string `json:"annotations"`
	Linux       *struct {
		Namespaces []struct {
			Type string `json:"type"`
			Path string `json:"path"`
		} `json:"namespaces"`
		CgroupsPath string `json:"cgroupsPath"`
	} `json:"linux"`
}

// Netns returns the spec's network namespace entry: has is false when the
// spec has none (the container shares its parent's, i.e. the host's, netns).
func (c *OCIConfig) Netns() (path string, has bool) {
	if c == nil || c.Linux == nil {
		return "", false
	}
	for _, n := range c.Linux.Namespaces {
		if n.Type == "network" {
			return n.Path, true
		}
	}
	return "", false
}

// parseOCIConfig parses a bundle config.json (containerd, CRI-O, Podman).
func parseOCIConfig(r io.Reader) (*OCIConfig, error) {
	var c OCIConfig
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return nil, fmt.Errorf("config.json: %v: %w", err, ErrParse)
	}
	return &c, nil
}

// maxStateFile caps every runtime state file read; real ones are a few KiB to a few hundred.
const maxStateFile = 4 << 20

// ReadCapped reads a whole state file of at most maxStateFile bytes; state
// directories may be writable by others, so it never blocks and reads only
// regular files.
func ReadCapped(path string) ([]byte, error) {
	b, err := safefile.ReadFile(path, maxStateFile)
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %w", err, ErrParse)
	}
	return b, err
}

// readParsed reads a capped file and parses it.
func readParsed[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	var zero T
	b, err := ReadCapped(path)
	if err != nil {
		return zero, err
	}
	return parse(strings.NewReader(string(b)))
}

// readPidFile reads a decimal pid file (init.pid, pidfile), 0 when absent or bad.
func readPidFile(path string) int {
	b, err := ReadCapped(path)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
