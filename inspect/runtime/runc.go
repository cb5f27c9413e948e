package runtime

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// RuncState is the part of runc's state.json used here.
type RuncState struct {
	ID        string `json:"id"`
	InitPID   int    `json:"init_process_pid"`
	InitStart uint64 `json:"init_process_start"`
	Config    struct {
		// Labels are every OCI annotation as "k=v", plus "bundle=<path>".
		Labels []string `json:"labels"`
	} `json:"config"`
	NamespacePaths map[string]string `json:"namespace_paths"`
}

// Annotations turns the k=v labels back into a map.
func (s *RuncState) Annotations() map[string]string {
	m := make(map[string]string, len(s.Config.Labels))
	for _, l := range s.Config.Labels {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

// parseRuncState parses runc's state.json.
func parseRuncState(r io.Reader) (*RuncState, error) {
	var s RuncState
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return nil, fmt.Errorf("state.json: %v: %w", err, ErrParse)
	}
	if s.InitPID < 0 {
		return nil, fmt.Errorf("state.json: init_process_pid %d: %w", s.InitPID, ErrParse)
	}
	return &s, nil
}

// ociStateRoot is one OCI runtime state directory and who writes it.
type ociStateRoot struct {
	// Dir is relative to the host root; "*" matches one level (containerd namespaces).
	Dir     string
	Runtime Runtime
	// Managed is the manager above the runtime (Docker, Podman, containerd):
	// its records only enrich containers the manager's own state knows.
	Managed bool
	crun    bool
}

// ociStateRoots are runc's and crun's default roots (bare `runc run`, and
// rootful Podman's runc/crun, which keep the defaults) and the roots Docker
// and containerd pass with --root.
var ociStateRoots = []ociStateRoot{
	{Dir: "/run/runc", Runtime: RuntimeRunc},
	{Dir: "/run/crun", Runtime: RuntimeCrun, crun: true},
	{Dir: "/run/docker/runtime-runc/moby", Runtime: RuntimeDocker, Managed: true},
	{Dir: "/run/containerd/runc/*", Runtime: RuntimeContainerd, Managed: true},
}

// crunStatus is the part of crun's <root>/<id>/status used here.
type crunStatus struct {
	PID        int    `json:"pid"`
	StartTime  uint64 `json:"process-start-time"`
	CgroupPath string `json:"cgroup-path"`
	Bundle     string `json:"bundle"`
}

func parseCrunStatus(r io.Reader) (*crunStatus, error) {
	var s crunStatus
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return nil, fmt.Errorf("crun status: %v: %w", err, ErrParse)
	}
	if s.PID < 0 {
		return nil, fmt.Errorf("crun status: pid %d: %w", s.PID, ErrParse)
	}
	return &s, nil
}

// OCIRuntimeState reads runc's <root>/<id>/state.json and crun's
// <root>/<id>/status. Records of a bare runtime carry Runtime runc/crun;
// those under a manager's root carry the manager and are marked Managed
// (StateRecord.Enrich) so they never invent a container of their own.
func OCIRuntimeState(fs Paths) ([]StateRecord, []error) {
	var recs []StateRecord
	var warns []error
	for _, root := range ociStateRoots {
		name := "state.json"
		if root.crun {
			name = "status"
		}
		files, _ := filepath.Glob(fs.Host(root.Dir, "*", name))
		for _, p := range files {
			id := filepath.Base(filepath.Dir(p))
			r := StateRecord{Runtime: root.Runtime, ID: id, Source: fs.HostRel(p), Enrich: root.Managed}
			if root.crun {
				s, err := readParsed(p, parseCrunStatus)
				if err != nil {
					if !os.IsNotExist(err) {
						warns = append(warns, fmt.Errorf("%s: %w (skipped)", fs.HostRel(p), err))
					}
					continue
				}
				r.InitPID, r.InitStart = s.PID, s.StartTime
				// crun keeps the spec next to its status: Podman's containers say so.
				if cfg, err := readParsed(filepath.Join(filepath.Dir(p), "config.json"), parseOCIConfig); err == nil && cfg.Annotations[annManager] == "libpod" {
					r.Runtime, r.Enrich = RuntimePodman, true
				}
			} else {
				s, err := readParsed(p, parseRuncState)
				if err != nil {
					if !os.IsNotExist(err) {
						warns = append(warns, fmt.Errorf("%s: %w (skipped)", fs.HostRel(p), err))
					}
					continue
				}
				r.InitPID, r.InitStart = s.InitPID, s.InitStart
				r.NetnsPath = s.NamespacePaths["NEWNET"]
				// Podman and CRI-O keep runc's default root: their containers'
				// annotations say so, and only their own state names them.
				switch ann := s.Annotations(); {
				case ann[annManager] == "libpod":
					r.Runtime, r.Enrich = RuntimePodman, true
				case ann[annManager] != "" || ann[annK8sPodName] != "" || ann[annCRIPodName] != "":
					r.Runtime, r.Enrich = RuntimeUnknown, true
				}
			}
			recs = append(recs, r)
		}
	}
	return recs, warns
}
