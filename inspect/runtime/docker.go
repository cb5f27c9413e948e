package runtime

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DockerConfig is the part of Docker's config.v2.json used here.
type DockerConfig struct {
	ID     string `json:"ID"`
	Name   string `json:"Name"`
	Config struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	State struct {
		Running bool `json:"Running"`
		Pid     int  `json:"Pid"`
	} `json:"State"`
	NetworkSettings struct {
		SandboxID  string `json:"SandboxID"`
		SandboxKey string `json:"SandboxKey"`
	} `json:"NetworkSettings"`
}

// DockerHostConfig is the part of hostconfig.json used here.
type DockerHostConfig struct {
	NetworkMode string `json:"NetworkMode"`
}

func parseDockerConfig(r io.Reader) (*DockerConfig, error) {
	var c DockerConfig
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return nil, fmt.Errorf("config.v2.json: %v: %w", err, ErrParse)
	}
	return &c, nil
}

func parseDockerHostConfig(r io.Reader) (*DockerHostConfig, error) {
	var c DockerHostConfig
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return nil, fmt.Errorf("hostconfig.json: %v: %w", err, ErrParse)
	}
	return &c, nil
}

// dockerRecord merges config.v2.json and hostconfig.json (hc may be nil).
func dockerRecord(id string, c *DockerConfig, hc *DockerHostConfig) StateRecord {
	r := StateRecord{Runtime: RuntimeDocker, ID: id, Name: strings.TrimPrefix(c.Name, "/"), Image: c.Config.Image,
		NetnsPath: c.NetworkSettings.SandboxKey}
	if c.State.Running {
		r.InitPID = c.State.Pid
	}
	l := c.Config.Labels
	// cri-dockerd / dockershim containers carry the kubelet's labels.
	if l["io.kubernetes.pod.name"] != "" {
		r.Pod = &Pod{Namespace: l["io.kubernetes.pod.namespace"], Name: l["io.kubernetes.pod.name"], UID: l["io.kubernetes.pod.uid"]}
		if n := l["io.kubernetes.container.name"]; n != "" && n != "POD" {
			r.Name = n
		}
		r.SandboxID = l["io.kubernetes.sandbox.id"]
		if l["io.kubernetes.docker.type"] == "podsandbox" {
			r.Sandbox, r.SandboxID = true, id
		}
	}
	if hc != nil {
		switch mode := hc.NetworkMode; {
		case mode == "host":
			r.HostNetwork = true
			r.NetnsPath = "" // SandboxKey is .../netns/default, the host's
		case strings.HasPrefix(mode, "container:"):
			r.JoinsContainer = strings.TrimPrefix(mode, "container:")
		}
	}
	return r
}

// dockerRoots are Docker data roots relative to the host root.
var dockerRoots = []string{"/var/lib/docker"}

// DockerState reads <data-root>/containers/<id>/{config.v2.json,hostconfig.json}.
func DockerState(fs Paths) ([]StateRecord, []error) {
	var recs []StateRecord
	var warns []error
	for _, root := range dockerRoots {
		dirs, _ := filepath.Glob(fs.Host(root, "containers", "*"))
		for _, dir := range dirs {
			p := filepath.Join(dir, "config.v2.json")
			c, err := readParsed(p, parseDockerConfig)
			if err != nil {
				if !os.IsNotExist(err) {
					warns = append(warns, fmt.Errorf("%s: %w (skipped)", fs.HostRel(p), err))
				}
				continue
			}
			hp := filepath.Join(dir, "hostconfig.json")
			hc, err := readParsed(hp, parseDockerHostConfig)
			if err != nil && !os.IsNotExist(err) {
				warns = append(warns, fmt.Errorf("%s: %w (ignored)", fs.HostRel(hp), err))
			}
			id := filepath.Base(dir)
			if c.ID != "" {
				id = c.ID
			}
			r := dockerRecord(id, c, hc)
			r.Source = fs.HostRel(p)
			recs = append(recs, r)
		}
	}
	return recs, warns
}
