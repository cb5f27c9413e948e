package runtime

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStorageContainers(t *testing.T) {
	list, err := parseStorageContainers(strings.NewReader(readStateTestdata(t, "containers.json")))
	if err != nil || len(list) != 2 {
		t.Fatalf("got %d entries, %v", len(list), err)
	}
	pm := StateRecord{Runtime: RuntimePodman, ID: list[0].ID}
	ApplyStorageName(&pm, list[0])
	if d := cmp.Diff(StateRecord{Runtime: RuntimePodman, ID: list[0].ID, Name: "web", Image: "docker.io/library/nginx:latest"}, pm); d != "" {
		t.Errorf("podman (-want +got)\n%s", d)
	}
	cr := StateRecord{Runtime: RuntimeCRIO, ID: list[1].ID}
	ApplyStorageName(&cr, list[1])
	want := StateRecord{Runtime: RuntimeCRIO, ID: list[1].ID, Name: "app", Pod: &Pod{Namespace: "prod", Name: "api-6d4f", UID: "63b3ebfc-2890-11e9-8154-16bf8ef8d9dc"}}
	if d := cmp.Diff(want, cr); d != "" {
		t.Errorf("cri-o (-want +got)\n%s", d)
	}
	// A bad metadata string degrades to no metadata.
	bad := StateRecord{Runtime: RuntimePodman}
	ApplyStorageName(&bad, StorageContainer{Names: []string{"n"}, Metadata: "{not json"})
	if bad.Name != "n" {
		t.Errorf("bad metadata: name %q", bad.Name)
	}
	for name, in := range map[string]string{
		"object not list": `{"id":"a"}`,
		"names not list":  `[{"id":"a","names":"web"}]`,
		"metadata object": `[{"id":"a","metadata":{"name":"x"}}]`,
		"truncated":       `[{"id":"a"`,
	} {
		if _, err := parseStorageContainers(strings.NewReader(in)); !errors.Is(err, ErrParse) {
			t.Errorf("%s: err = %v, want ErrParse", name, err)
		}
	}
}

func FuzzParseStorageContainers(f *testing.F) {
	f.Add(readStateTestdata(f, "containers.json"))
	f.Fuzz(func(t *testing.T, s string) {
		list, err := parseStorageContainers(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, c := range list {
			r := StateRecord{Runtime: RuntimeCRIO}
			ApplyStorageName(&r, c)
			r.Runtime = RuntimePodman
			ApplyStorageName(&r, c)
		}
	})
}
