package inspect

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
		r.Runtime = RuntimePodman
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

// containersStorageRoots are the run roots (bundles, pidfiles) then the graph
// roots (persistent copies) of containers/storage, used by CRI-O and Podman.
var containersStorageRoots = []string{"/run/containers/storage", "/var/lib/containers/storage"}

// UserdataState reads overlay-containers/<id>/userdata/{config.json,pidfile} under
// the containers/storage roots, giving CRI-O and Podman records.
func (fs FS) UserdataState() ([]StateRecord, []string) {
	var recs []StateRecord
	var warns []string
	seen := map[string]bool{}
	for _, root := range containersStorageRoots {
		dirs, _ := filepath.Glob(fs.Host(root, "overlay-containers", "*", "userdata"))
		for _, dir := range dirs {
			id := filepath.Base(filepath.Dir(dir))
			if seen[id] {
				continue
			}
			p := filepath.Join(dir, "config.json")
			c, err := readParsed(p, parseOCIConfig)
			if err != nil {
				if !os.IsNotExist(err) {
					warns = append(warns, fmt.Sprintf("%s: %v (skipped)", fs.HostRel(p), err))
				}
				continue
			}
			r := userdataRecord(id, c)
			r.InitPID = readPidFile(filepath.Join(dir, "pidfile"))
			r.Source = fs.HostRel(p)
			recs = append(recs, r)
			seen[id] = true
		}
	}
	return recs, warns
}
