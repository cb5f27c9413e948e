package runtime

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDockerConfig(t *testing.T) {
	const id = "7951fb549ab99e0722a949b6c121634e1f3a36b5bacbe5392991e3b12251e6b8"
	joined := &DockerHostConfig{NetworkMode: "container:17d6b9a3344a0cde3e4b4b0c2b5c06c8d1b1d1d7f0e9b0b5a9d8b0c3c2b1a0f9"}
	for _, tc := range []struct {
		name    string
		in      string
		hc      *DockerHostConfig
		want    StateRecord
		wantErr bool
	}{
		{"bridge", readStateTestdata(t, "docker-config.v2.json"), &DockerHostConfig{NetworkMode: "bridge"},
			StateRecord{Runtime: RuntimeDocker, ID: id, Name: "dreamy_volhard", Image: "nginx:1.27", NetnsPath: "/var/run/docker/netns/75c43685d9ba", InitPID: 4242}, false},
		{"joined", readStateTestdata(t, "docker-config.v2.json"), joined,
			StateRecord{Runtime: RuntimeDocker, ID: id, Name: "dreamy_volhard", Image: "nginx:1.27", NetnsPath: "/var/run/docker/netns/75c43685d9ba", InitPID: 4242,
				JoinsContainer: "17d6b9a3344a0cde3e4b4b0c2b5c06c8d1b1d1d7f0e9b0b5a9d8b0c3c2b1a0f9"}, false},
		{"host", readStateTestdata(t, "docker-config.v2.json"), &DockerHostConfig{NetworkMode: "host"},
			StateRecord{Runtime: RuntimeDocker, ID: id, Name: "dreamy_volhard", Image: "nginx:1.27", HostNetwork: true, InitPID: 4242}, false},
		{"no hostconfig", readStateTestdata(t, "docker-config.v2.json"), nil,
			StateRecord{Runtime: RuntimeDocker, ID: id, Name: "dreamy_volhard", Image: "nginx:1.27", NetnsPath: "/var/run/docker/netns/75c43685d9ba", InitPID: 4242}, false},
		{"dockershim sandbox", readStateTestdata(t, "dockershim-config.v2.json"), nil,
			StateRecord{Runtime: RuntimeDocker, ID: "17d6b9a3344a0cde3e4b4b0c2b5c06c8d1b1d1d7f0e9b0b5a9d8b0c3c2b1a0f9", Name: "k8s_POD_pod-pause_default_144ef874-4dc2-4c70-8d93-c67f4c6f8865_0",
				Image: "registry.k8s.io/pause:3.9", Pod: &Pod{Namespace: "default", Name: "pod-pause", UID: "144ef874-4dc2-4c70-8d93-c67f4c6f8865"},
				Sandbox: true, SandboxID: "17d6b9a3344a0cde3e4b4b0c2b5c06c8d1b1d1d7f0e9b0b5a9d8b0c3c2b1a0f9", NetnsPath: "/var/run/docker/netns/aa", InitPID: 777}, false},
		{"stopped", `{"ID":"a","Name":"/x","State":{"Running":false,"Pid":0}}`, nil, StateRecord{Runtime: RuntimeDocker, ID: "a", Name: "x"}, false},
		{"half written", `{"ID":"a","Name":"/half-writ`, nil, StateRecord{}, true},
		{"pid not a number", `{"State":{"Pid":"12"}}`, nil, StateRecord{}, true},
		{"labels not a map", `{"Config":{"Labels":["a"]}}`, nil, StateRecord{}, true},
		{"name not a string", `{"Name":5}`, nil, StateRecord{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseDockerConfig(strings.NewReader(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrParse) {
					t.Errorf("%v does not wrap ErrParse", err)
				}
				return
			}
			id := c.ID
			got := dockerRecord(id, c, tc.hc)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestParseDockerHostConfig(t *testing.T) {
	hc, err := parseDockerHostConfig(strings.NewReader(readStateTestdata(t, "docker-hostconfig.json")))
	if err != nil || !strings.HasPrefix(hc.NetworkMode, "container:17d6b9a3344a") {
		t.Errorf("got %+v, %v", hc, err)
	}
	for name, in := range map[string]string{"truncated": `{"NetworkMode":"bri`, "mode not string": `{"NetworkMode":1}`} {
		if _, err := parseDockerHostConfig(strings.NewReader(in)); !errors.Is(err, ErrParse) {
			t.Errorf("%s: err = %v, want ErrParse", name, err)
		}
	}
}

func FuzzParseDockerConfig(f *testing.F) {
	f.Add(readStateTestdata(f, "docker-config.v2.json"), readStateTestdata(f, "docker-hostconfig.json"))
	f.Add(readStateTestdata(f, "dockershim-config.v2.json"), `{"NetworkMode":"host"}`)
	f.Fuzz(func(t *testing.T, cfg, host string) {
		c, err := parseDockerConfig(strings.NewReader(cfg))
		if err != nil {
			return
		}
		hc, _ := parseDockerHostConfig(strings.NewReader(host))
		dockerRecord("x", c, hc)
	})
}
