package runtime

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

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

// ContainerdTasks names every task bundle under the containerd state roots
// as "<containerd namespace>/<id>".
func ContainerdTasks(fs Paths) map[string]bool {
	tasks := map[string]bool{}
	for _, root := range containerdRoots {
		dirs, _ := filepath.Glob(fs.Host(root, "io.containerd.runtime.v2.task", "*", "*"))
		for _, d := range dirs {
			tasks[filepath.Base(filepath.Dir(d))+"/"+filepath.Base(d)] = true
		}
	}
	return tasks
}

// ContainerdState reads every task bundle under the containerd state roots:
// <root>/io.containerd.runtime.v2.task/<ns>/<id>/{config.json,init.pid}, and
// runc's <root>/runc/<ns>/<id>/state.json for tasks whose bundle is unreadable.
func ContainerdState(fs Paths) ([]StateRecord, []error) {
	var recs []StateRecord
	var warns []error
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
					warns = append(warns, fmt.Errorf("%s: %w (skipped)", fs.HostRel(cfgPath), err))
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
				warns = append(warns, fmt.Errorf("%s: %w (skipped)", fs.HostRel(p), err))
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
func (m containerdMeta) image(fs Paths, dir, ns, id string) string {
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
func readContainerdMeta(path string) (map[string]string, error) {
	cp, err := privateCopy(path, maxMetaDB)
	if err != nil {
		return nil, err
	}
	defer os.Remove(cp)
	imgs := map[string]string{}
	err = viewBolt(cp, func(tx *bolt.Tx) error {
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
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return imgs, nil
}
