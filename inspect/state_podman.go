package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
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

// StorageNames reads containers.json and volatile-containers.json under the
// containers/storage roots: id → entry.
func (fs FS) StorageNames() (map[string]StorageContainer, []string) {
	out := map[string]StorageContainer{}
	var warns []string
	for _, root := range containersStorageRoots {
		for _, f := range []string{"containers.json", "volatile-containers.json"} {
			p := fs.Host(root, "overlay-containers", f)
			list, err := readParsed(p, parseStorageContainers)
			if err != nil {
				if !os.IsNotExist(err) {
					warns = append(warns, fmt.Sprintf("%s: %v (skipped)", fs.HostRel(p), err))
				}
				continue
			}
			for _, c := range list {
				if _, ok := out[c.ID]; !ok && c.ID != "" {
					out[c.ID] = c
				}
			}
		}
	}
	return out, warns
}

// applyStorageName fills a Podman or CRI-O record's gaps from containers.json.
func applyStorageName(r *StateRecord, c StorageContainer) {
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
