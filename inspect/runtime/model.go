package runtime

import "errors"

// ErrParse marks a state file or cgroup line that does not parse; inspect.ErrParse is the same value.
var ErrParse = errors.New("parse error")

// Runtime names a container runtime.
type Runtime uint8

// Known runtimes.
const (
	RuntimeUnknown Runtime = iota
	RuntimeContainerd
	RuntimeCRIO
	RuntimeDocker
	RuntimePodman
	RuntimeLXC
	RuntimeNspawn
	// RuntimeRunc and RuntimeCrun are containers started with the OCI runtime
	// itself (runc run / crun run), no manager above it.
	RuntimeRunc
	RuntimeCrun
)

var runtimeNames = [...]string{"unknown", "containerd", "cri-o", "docker", "podman", "lxc", "nspawn", "runc", "crun"}

// String returns the runtime word of the text and JSON output.
func (r Runtime) String() string {
	if int(r) < len(runtimeNames) {
		return runtimeNames[r]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (r Runtime) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Pod identifies a Kubernetes pod.
type Pod struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
}
