package runtime

import (
	"fmt"
	"os"
	"path/filepath"
)

// CRI-O annotation keys (internal/annotations) and the kubelet labels it copies in.
const (
	annManager       = "io.container.manager"
	annCRIOType      = "io.kubernetes.cri-o.ContainerType"
	annCRIOSandboxID = "io.kubernetes.cri-o.SandboxID"
	annCRIOImage     = "io.kubernetes.cri-o.ImageName"
	annCRIOHostNet   = "io.kubernetes.cri-o.HostNetwork"
	annCRIOCtrName   = "io.kubernetes.cri-o.ContainerName"
	annK8sPodName    = "io.kubernetes.pod.name"
	annK8sPodNS      = "io.kubernetes.pod.namespace"
	annK8sPodUID     = "io.kubernetes.pod.uid"
	annK8sCtrName    = "io.kubernetes.container.name"
)

// userdataRecord builds a record from a CRI-O or Podman userdata/config.json.
// io.container.manager decides: Podman pod members also carry CRI-O's keys.
func userdataRecord(id string, c *OCIConfig) StateRecord {
	a := c.Annotations
	netns, has := c.Netns()
	r := StateRecord{Runtime: RuntimeCRIO, ID: id, NetnsPath: netns}
	if a[annManager] == "libpod" {
		// Pod members name the infra container in CRI-O's key.
		r.Runtime = RuntimePodman
		r.SandboxID = a[annCRIOSandboxID]
		return r
	}
	r.Name = a[annK8sCtrName]
	r.Image = a[annCRIOImage]
	r.SandboxID = a[annCRIOSandboxID]
	if a[annK8sPodName] != "" {
		r.Pod = &Pod{Namespace: a[annK8sPodNS], Name: a[annK8sPodName], UID: a[annK8sPodUID]}
	}
	if a[annCRIOType] == "sandbox" {
		r.Sandbox, r.SandboxID = true, id
		r.HostNetwork = a[annCRIOHostNet] == "true" || !has
		if r.Name == "" || r.Name == "POD" {
			r.Name = ""
		}
	}
	return r
}

// UserdataState reads <driver>-containers/<id>/userdata/{config.json,pidfile}
// of every storage driver in every store, giving CRI-O and Podman records.
// config.json may sit in the graph root (Podman) or the run root (CRI-O); the
// pidfile is in the run root.
func UserdataState(fs Paths, roots []StorageRoot) ([]StateRecord, []error) {
	var recs []StateRecord
	var warns []error
	seen := map[string]bool{}
	for _, root := range roots {
		for _, base := range []string{root.Run, root.Graph} {
			cfgs, _ := filepath.Glob(fs.Host(base, "*-containers", "*", "userdata", "config.json"))
			for _, p := range cfgs {
				dir := filepath.Dir(p)
				id := filepath.Base(filepath.Dir(dir))
				drv := filepath.Base(filepath.Dir(filepath.Dir(dir)))
				if seen[id] || !root.trusts(id) {
					continue
				}
				c, err := readParsed(p, parseOCIConfig)
				if err != nil {
					if !os.IsNotExist(err) {
						warns = append(warns, fmt.Errorf("%s: %w (skipped)", fs.HostRel(p), err))
					}
					continue
				}
				r := userdataRecord(id, c)
				r.InitPID = readPidFile(fs.Host(root.Run, drv, id, "userdata", "pidfile"))
				if r.InitPID == 0 {
					r.InitPID = readPidFile(filepath.Join(dir, "pidfile"))
				}
				r.Source = fs.HostRel(p)
				recs = append(recs, r)
				seen[id] = true
			}
		}
	}
	return recs, warns
}
