package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

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

// CRI annotation keys written by containerd (pkg/cri/annotations).
const (
	annCRIType      = "io.kubernetes.cri.container-type"
	annCRIName      = "io.kubernetes.cri.container-name"
	annCRISandboxID = "io.kubernetes.cri.sandbox-id"
	annCRIPodName   = "io.kubernetes.cri.sandbox-name"
	annCRIPodNS     = "io.kubernetes.cri.sandbox-namespace"
	annCRIPodUID    = "io.kubernetes.cri.sandbox-uid"
	annCRIImage     = "io.kubernetes.cri.image-name"
	// containerd ≥ 1.7 names the sandbox (pause) image on the sandbox itself.
	annCRISandboxImage = "io.kubernetes.cri.podsandbox.image-name"
)

// containerdRecord builds a record from containerd CRI annotations and the
// spec's network namespace entry.
func containerdRecord(id string, ann map[string]string, netns string, hasNetns bool) StateRecord {
	r := StateRecord{Runtime: RuntimeContainerd, ID: id, Name: ann[annCRIName], Image: ann[annCRIImage],
		SandboxID: ann[annCRISandboxID], NetnsPath: netns}
	if r.Name == "" {
		r.Name = ann["nerdctl/name"]
	}
	if ann[annCRIPodName] != "" {
		r.Pod = &Pod{Namespace: ann[annCRIPodNS], Name: ann[annCRIPodName], UID: ann[annCRIPodUID]}
	}
	if ann[annCRIType] == "sandbox" {
		r.Sandbox = true
		r.SandboxID = id
		r.Image = ann[annCRISandboxImage]
		// A sandbox without a network namespace entry is a hostNetwork pod.
		r.HostNetwork = !hasNetns
	}
	return r
}

// containerdRoots are the containerd state dirs (system, k3s/RKE2, k0s, dockerd's own).
var containerdRoots = []string{"/run/containerd", "/run/k3s/containerd", "/run/k0s/containerd", "/run/docker/containerd/daemon"}

// ContainerdState reads every task bundle under the containerd state roots:
// <root>/io.containerd.runtime.v2.task/<ns>/<id>/{config.json,init.pid}, and
// runc's <root>/runc/<ns>/<id>/state.json for tasks whose bundle is unreadable.
func (fs FS) ContainerdState() ([]StateRecord, []string) {
	var recs []StateRecord
	var warns []string
	seen := map[string]bool{}
	meta := containerdMeta{}
	for _, root := range containerdRoots {
		tasks, _ := filepath.Glob(fs.Host(root, "io.containerd.runtime.v2.task", "*", "*"))
		for _, dir := range tasks {
			id, ns := filepath.Base(dir), filepath.Base(filepath.Dir(dir))
			cfgPath := filepath.Join(dir, "config.json")
			cfg, err := readParsed(cfgPath, parseOCIConfig)
			if err != nil {
				if !os.IsNotExist(err) {
					warns = append(warns, fmt.Sprintf("%s: %v (skipped)", fs.HostRel(cfgPath), err))
				}
				continue
			}
			netns, has := cfg.Netns()
			r := containerdRecord(id, cfg.Annotations, netns, has)
			if ns == "moby" {
				r.Runtime = RuntimeDocker
			}
			r.InitPID = readPidFile(filepath.Join(dir, "init.pid"))
			r.Source = fs.HostRel(cfgPath)
			if r.Image == "" && r.Sandbox {
				r.Image = meta.image(fs, dir, ns, id)
			}
			recs = append(recs, r)
			seen[id] = true
		}
		states, _ := filepath.Glob(fs.Host(root, "runc", "*", "*", "state.json"))
		for _, p := range states {
			id := filepath.Base(filepath.Dir(p))
			if seen[id] {
				continue
			}
			st, err := readParsed(p, parseRuncState)
			if err != nil {
				warns = append(warns, fmt.Sprintf("%s: %v (skipped)", fs.HostRel(p), err))
				continue
			}
			ann := st.Annotations()
			r := containerdRecord(id, ann, st.NamespacePaths["NEWNET"], st.NamespacePaths["NEWNET"] != "")
			r.InitPID = st.InitPID
			r.Source = fs.HostRel(p)
			recs = append(recs, r)
			seen[id] = true
		}
	}
	return recs, warns
}

// maxStateFile caps every runtime state file read; real ones are a few KiB to a few hundred.
const maxStateFile = 4 << 20

// readCapped reads a whole state file of at most maxStateFile bytes; state
// directories may be writable by others, so it never blocks and reads only
// regular files.
func readCapped(path string) ([]byte, error) {
	b, err := safefile.ReadFile(path, maxStateFile)
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %w", err, ErrParse)
	}
	return b, err
}

// readParsed reads a capped file and parses it.
func readParsed[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	var zero T
	b, err := readCapped(path)
	if err != nil {
		return zero, err
	}
	return parse(strings.NewReader(string(b)))
}

// readPidFile reads a decimal pid file (init.pid, pidfile), 0 when absent or bad.
func readPidFile(path string) int {
	b, err := readCapped(path)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// containerd 1.6 writes no image annotation on a pod sandbox (pause)
// container; only its metadata database knows the image. The bundle's
// "work" symlink names containerd's root directory, and
// <root>/io.containerd.metadata.v1.bolt/meta.db holds, per namespace,
// v1/<ns>/containers/<id>/image.

// maxMetaDB caps the metadata database read; a node's is a few MiB.
const maxMetaDB = 64 << 20

// containerdMeta caches one ContainerdState call's metadata reads: root
// directory → namespace/id → image ("" when unreadable).
type containerdMeta map[string]map[string]string

// image returns the image containerd recorded for container id of namespace
// ns whose task bundle is dir, "" when it cannot be known.
func (m containerdMeta) image(fs FS, dir, ns, id string) string {
	work, err := os.Readlink(filepath.Join(dir, "work"))
	// work = <root>/io.containerd.runtime.v2.task/<ns>/<id>
	if err != nil || !filepath.IsAbs(work) || filepath.Base(filepath.Dir(filepath.Dir(work))) != "io.containerd.runtime.v2.task" {
		return ""
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(work)))
	imgs, ok := m[root]
	if !ok {
		imgs, _ = readContainerdMeta(fs.Host(root, "io.containerd.metadata.v1.bolt", "meta.db"))
		m[root] = imgs
	}
	return imgs[ns+"/"+id]
}

// readContainerdMeta reads every container's image from a containerd
// metadata database. containerd holds an exclusive flock on the live file,
// so a bounded, non-blocking copy of it is opened instead (read-only); a copy
// torn by a concurrent write is detected by bbolt or recovered from.
func readContainerdMeta(path string) (imgs map[string]string, err error) {
	b, err := safefile.ReadFile(path, maxMetaDB)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp("", "kubectl-netstat-meta-*.db")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		return nil, fmt.Errorf("copy of %s: %v %v", path, werr, cerr)
	}
	defer func() {
		if r := recover(); r != nil { // bbolt panics on some corrupt pages
			imgs, err = nil, fmt.Errorf("%s: %v: %w", path, r, ErrParse)
		}
	}()
	db, err := bolt.Open(tmp.Name(), 0o400, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", path, err, ErrParse)
	}
	defer db.Close()
	imgs = map[string]string{}
	err = db.View(func(tx *bolt.Tx) error {
		v1 := tx.Bucket([]byte("v1"))
		if v1 == nil {
			return nil
		}
		return v1.ForEachBucket(func(ns []byte) error {
			ctrs := v1.Bucket(ns).Bucket([]byte("containers"))
			if ctrs == nil {
				return nil
			}
			return ctrs.ForEachBucket(func(id []byte) error {
				if img := ctrs.Bucket(id).Get([]byte("image")); len(img) > 0 {
					imgs[string(ns)+"/"+string(id)] = string(img)
				}
				return nil
			})
		})
	})
	return imgs, err
}
