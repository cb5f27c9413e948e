package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/kubectl-netstat/kubectl-netstat/internal/safefile"
)

// StorageContainer is one entry of containers/storage's containers.json
// (or volatile-containers.json, where Podman's --rm containers live).
type StorageContainer struct {
	ID    string   `json:"id"`
	Names []string `json:"names"`
	Image string   `json:"image"`
	// Metadata is a JSON string: CRI-O's RuntimeContainerMetadata or Podman's {image-name, name}.
	Metadata string `json:"metadata"`
}

// storageMetadata is the union of the metadata keys CRI-O and Podman write.
type storageMetadata struct {
	PodName      string `json:"pod-name"`
	PodID        string `json:"pod-id"`
	Name         string `json:"name"`
	MetadataName string `json:"metadata-name"`
	Namespace    string `json:"namespace"`
	UID          string `json:"uid"`
	ImageName    string `json:"image-name"`
	Pod          bool   `json:"pod"`
}

// parseStorageContainers parses containers.json / volatile-containers.json.
func parseStorageContainers(r io.Reader) ([]StorageContainer, error) {
	var out []StorageContainer
	if err := json.NewDecoder(r).Decode(&out); err != nil {
		return nil, fmt.Errorf("containers.json: %v: %w", err, ErrParse)
	}
	return out, nil
}

// meta decodes the embedded metadata string; a bad one gives the zero value.
func (c StorageContainer) meta() storageMetadata {
	var m storageMetadata
	if c.Metadata != "" {
		_ = json.Unmarshal([]byte(c.Metadata), &m)
	}
	return m
}

// StorageRoot is one containers/storage store (CRI-O, Podman): the graph
// root keeps config.json and containers.json, the run root the pidfiles
// (and CRI-O's bundles). Each storage driver has its own
// <root>/<driver>-containers/ directory.
type StorageRoot struct {
	Graph, Run string
	// IDs, when not nil, limits the store to these containers: a store named
	// only by an unprivileged user's conmon is believed for the containers
	// that conmon monitors, never for anyone else's.
	IDs map[string]bool
}

func (s StorageRoot) trusts(id string) bool { return s.IDs == nil || s.IDs[id] }

// defaultStorageRoots is the rootful default store (also CRI-O's).
var defaultStorageRoots = []StorageRoot{{Graph: "/var/lib/containers/storage", Run: "/run/containers/storage"}}

// maxConmonCmdline bounds a conmon command line read; real ones are ~3 KiB.
const maxConmonCmdline = 64 << 10

// conmonArgs is what a Podman conmon's command line says about its container.
type conmonArgs struct {
	ID, Name, Bundle, PidFile string
	Graph, Run                string
}

// parseConmonCmdline reads conmon's own flags (-c ID, -n NAME, -b BUNDLE,
// -p PIDFILE) and Podman's --root/--runroot passed through --exit-command-arg.
func parseConmonCmdline(b []byte) conmonArgs {
	args := bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0})
	var a conmonArgs
	var exit []string
	for i := 0; i < len(args); i++ {
		k := string(args[i])
		next := func() string {
			if i+1 < len(args) {
				i++
				return string(args[i])
			}
			return ""
		}
		switch k {
		case "-c", "--cid":
			a.ID = next()
		case "-n", "--name":
			a.Name = next()
		case "-b", "--bundle":
			a.Bundle = next()
		case "-p", "--container-pidfile":
			a.PidFile = next()
		case "--exit-command-arg":
			exit = append(exit, next())
		}
	}
	for i := 0; i+1 < len(exit); i++ {
		switch exit[i] {
		case "--root":
			a.Graph = exit[i+1]
		case "--runroot":
			a.Run = exit[i+1]
		}
	}
	return a
}

// StorageRoots returns the default store plus every store a running conmon
// names (a second rootful store via --root/--runroot, rootless users' stores
// under their home and $XDG_RUNTIME_DIR). conmons are the PIDs of the
// processes whose comm is "conmon".
func StorageRoots(fs Paths, conmons []int) []StorageRoot {
	roots := append([]StorageRoot(nil), defaultStorageRoots...)
	index := map[[2]string]int{}
	for i, r := range roots {
		index[[2]string{r.Graph, r.Run}] = i
	}
	for _, pid := range conmons {
		dir := fs.Proc(strconv.Itoa(pid))
		uid, ok := statUID(dir)
		if !ok {
			continue
		}
		b, err := safefile.ReadFile(filepath.Join(dir, "cmdline"), maxConmonCmdline)
		if err != nil {
			continue
		}
		a := parseConmonCmdline(b)
		if a.Graph == "" || a.Run == "" || a.ID == "" {
			continue
		}
		key := [2]string{filepath.Clean(a.Graph), filepath.Clean(a.Run)}
		i, ok := index[key]
		if !ok {
			i = len(roots)
			index[key] = i
			roots = append(roots, StorageRoot{Graph: key[0], Run: key[1], IDs: map[string]bool{}})
		}
		switch {
		case uid == 0:
			roots[i].IDs = nil
		case roots[i].IDs != nil:
			roots[i].IDs[a.ID] = true
		}
	}
	return roots
}

// ConmonIDs are the containers a running conmon monitors (Podman, CRI-O).
func ConmonIDs(fs Paths, conmons []int) map[string]bool {
	out := map[string]bool{}
	for _, pid := range conmons {
		b, err := safefile.ReadFile(fs.Proc(strconv.Itoa(pid), "cmdline"), maxConmonCmdline)
		if err != nil {
			continue
		}
		if a := parseConmonCmdline(b); a.ID != "" {
			out[a.ID] = true
		}
	}
	return out
}

// StorageNames reads containers.json and volatile-containers.json of every
// storage driver under the stores' graph and run roots: id → entry.
func StorageNames(fs Paths, roots []StorageRoot) (map[string]StorageContainer, []error) {
	out := map[string]StorageContainer{}
	var warns []error
	for _, root := range roots {
		for _, dir := range []string{root.Graph, root.Run} {
			for _, f := range []string{"containers.json", "volatile-containers.json"} {
				files, _ := filepath.Glob(fs.Host(dir, "*-containers", f))
				for _, p := range files {
					list, err := readParsed(p, parseStorageContainers)
					if err != nil {
						if !os.IsNotExist(err) {
							warns = append(warns, fmt.Errorf("%s: %w (skipped)", fs.HostRel(p), err))
						}
						continue
					}
					for _, c := range list {
						if _, ok := out[c.ID]; !ok && c.ID != "" && root.trusts(c.ID) {
							out[c.ID] = c
						}
					}
				}
			}
		}
	}
	return out, warns
}

// ApplyStorageName fills a Podman or CRI-O record's gaps from containers.json.
func ApplyStorageName(r *StateRecord, c StorageContainer) {
	m := c.meta()
	if r.Name == "" {
		switch {
		case r.Runtime == RuntimeCRIO && m.MetadataName != "":
			r.Name = m.MetadataName
		case len(c.Names) > 0 && r.Runtime == RuntimePodman:
			r.Name = c.Names[0]
		case m.Name != "" && r.Runtime == RuntimePodman:
			r.Name = m.Name
		}
	}
	if r.Image == "" {
		r.Image = m.ImageName
	}
	if r.Pod == nil && r.Runtime == RuntimeCRIO && m.PodName != "" {
		r.Pod = &Pod{Namespace: m.Namespace, Name: m.PodName, UID: m.UID}
	}
}

// PodmanPodInfo is what Podman's database says about a container's pod.
type PodmanPodInfo struct {
	PodID, PodName string
	// Infra is set for the pod's infra container.
	Infra bool
}

// PodmanPods reads Podman 4's <graph>/libpod/bolt_state.db of every store:
// container id → pod. Podman 5's db.sql is not read (see README).
func PodmanPods(fs Paths, roots []StorageRoot) (map[string]PodmanPodInfo, []error) {
	out := map[string]PodmanPodInfo{}
	var warns []error
	for _, root := range roots {
		p := fs.Host(root.Graph, "libpod", "bolt_state.db")
		st, err := os.Lstat(p)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		var m map[string]PodmanPodInfo
		if uid, ok := fileUID(st); ok && uid == 0 {
			m, err = readBoltPods(p)
		} else {
			// bbolt maps the file: one its owner truncates under us would
			// SIGBUS this process. A user's database is read from a private copy.
			m, err = readBoltCopy(p)
		}
		if err != nil {
			warns = append(warns, fmt.Errorf("%s: %w (Podman pod names not shown)", fs.HostRel(p), err))
			continue
		}
		for id, info := range m {
			if _, ok := out[id]; !ok && root.trusts(id) {
				out[id] = info
			}
		}
	}
	return out, warns
}

// maxBoltCopy caps the copy of a user's database; Podman's are a few hundred KiB.
const maxBoltCopy = 64 << 20

// readBoltCopy reads a private, root-owned copy of the database at path.
func readBoltCopy(path string) (map[string]PodmanPodInfo, error) {
	cp, err := privateCopy(path, maxBoltCopy)
	if err != nil {
		return nil, err
	}
	defer os.Remove(cp)
	return readBoltPods(cp)
}

// readBoltPods reads pod names and infra containers from a Podman bolt
// database (read-only, through viewBolt).
func readBoltPods(path string) (out map[string]PodmanPodInfo, err error) {
	out = map[string]PodmanPodInfo{}
	err = viewBolt(path, func(tx *bolt.Tx) error {
		names := map[string]string{}
		if b := tx.Bucket([]byte("allPods")); b != nil {
			_ = b.ForEach(func(k, v []byte) error {
				names[string(k)] = string(v)
				return nil
			})
		}
		infra := map[string]bool{}
		if pods := tx.Bucket([]byte("pod")); pods != nil {
			_ = pods.ForEach(func(k, v []byte) error {
				if b := pods.Bucket(k); b != nil {
					var st struct {
						InfraContainerID string `json:"InfraContainerID"`
					}
					if json.Unmarshal(b.Get([]byte("state")), &st) == nil && st.InfraContainerID != "" {
						infra[st.InfraContainerID] = true
					}
				}
				return nil
			})
		}
		ctrs := tx.Bucket([]byte("ctr"))
		if ctrs == nil {
			return nil
		}
		return ctrs.ForEach(func(k, v []byte) error {
			b := ctrs.Bucket(k)
			if b == nil {
				return nil
			}
			pod := string(b.Get([]byte("pod-id")))
			if pod == "" {
				return nil
			}
			out[string(k)] = PodmanPodInfo{PodID: pod, PodName: names[pod], Infra: infra[string(k)]}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
