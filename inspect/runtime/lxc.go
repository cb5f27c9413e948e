package runtime

import "path/filepath"

// lxcPaths are LXC's container directories (lxc.lxcpath) relative to the host root.
var lxcPaths = []string{"/var/lib/lxc"}

// LXCState names LXC containers from <lxcpath>/<name>/config: the directory
// name is the container's name (lxc-info -n), lxc.uts.name its hostname.
func LXCState(fs Paths) ([]StateRecord, []error) {
	var recs []StateRecord
	for _, dir := range lxcPaths {
		files, _ := filepath.Glob(fs.Host(dir, "*", "config"))
		for _, p := range files {
			if _, err := ReadCapped(p); err != nil {
				continue
			}
			name := filepath.Base(filepath.Dir(p))
			recs = append(recs, StateRecord{Runtime: RuntimeLXC, ID: name, Name: name, Source: fs.HostRel(p), Enrich: true})
		}
	}
	return recs, nil
}
