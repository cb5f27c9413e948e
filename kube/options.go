// Package kube gives the command its Kubernetes facts and remote paths: it
// resolves pod and node targets through the API server, runs a short-lived
// agent pod on another node, and reads a container's /proc/net files through
// exec. It never prints; errors wrap the sentinels in errors.go.
package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Method picks how a pod's sockets are read.
type Method uint8

// Methods for --method.
const (
	// MethodAuto reads locally when the pod's containers run on this host,
	// else through an agent pod.
	MethodAuto Method = iota
	MethodLocal
	MethodAgent
	MethodExec
)

var methodNames = [...]string{"auto", "local", "agent", "exec"}

// String returns the --method word.
func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return "auto"
}

// Set implements pflag.Value.
func (m *Method) Set(s string) error {
	for i, n := range methodNames {
		if s == n {
			*m = Method(i)
			return nil
		}
	}
	return errorf(ErrUsage, "--method %q: want one of %s", s, strings.Join(methodNames[:], ", "))
}

// Type implements pflag.Value.
func (m *Method) Type() string { return "method" }

// MarshalText implements encoding.TextMarshaler.
func (m Method) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// ImageRepo is where the project publishes its image; the agent pod runs
// ImageRepo:<version> unless --image says otherwise.
const ImageRepo = "ghcr.io/kubectl-netstat/kubectl-netstat"

// DefaultImage is the published image for a binary version. Development
// builds ("", "dev", "v0.0.0-…", "…-dev") fall back to :latest, since no
// tag exists for them.
func DefaultImage(version string) string {
	if version == "" || version == "dev" || strings.HasPrefix(version, "v0.0.0") || strings.HasSuffix(version, "-dev") {
		return ImageRepo + ":latest"
	}
	if !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	return ImageRepo + ":" + version
}

// Defaults for the bounded waits.
const (
	// DefaultAgentTimeout bounds the agent pod's whole life (activeDeadlineSeconds)
	// and how long RunAgent waits for it to start.
	DefaultAgentTimeout = 2 * time.Minute
	// DefaultRequestTimeout bounds every short API call when --request-timeout is
	// unset, so an unreachable API server is reported instead of hanging.
	DefaultRequestTimeout = 15 * time.Second
)

// Options are the Kubernetes selection and remote-path flags plus what is
// derived from them. Build with NewOptions, bind with AddFlags.
type Options struct {
	genericiooptions.IOStreams

	// ConfigFlags are cli-runtime's kubeconfig flags (--namespace, --context, …).
	ConfigFlags *genericclioptions.ConfigFlags

	Selector      string        // --selector
	AllNamespaces bool          // --all-namespaces
	Node          string        // --node
	Container     string        // --container
	Method        Method        // --method
	Image         string        // --image; "" means DefaultImage(Version)
	AgentTimeout  time.Duration // --agent-timeout

	// Version is the binary's version; the lead sets it so the default agent
	// image matches the running binary.
	Version string
	// RawArgs is the command line as typed (os.Args[1:]); when set, not-found
	// errors carry a hint for kubectl habits such as "-n NS" or "-c NAME".
	RawArgs []string

	// Client and RESTConfig are built from ConfigFlags on first use; tests may
	// set them directly.
	Client     kubernetes.Interface
	RESTConfig *rest.Config

	// flagSets are the sets AddFlags bound to (the root command's and a
	// subcommand's); configNames are cli-runtime's flag names. Together they
	// tell which kube flags the user typed.
	flagSets    []*pflag.FlagSet
	configNames []string
}

// NewOptions sets every default in one place.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{
		IOStreams:    streams,
		ConfigFlags:  genericclioptions.NewConfigFlags(true),
		Method:       MethodAuto,
		AgentTimeout: DefaultAgentTimeout,
	}
}

// AddFlags binds the Kubernetes flags. cli-runtime's flags go through a
// scratch set and lose every shorthand, because single letters belong to
// netstat (-n is --numeric, -s is --statistics).
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	scratch := pflag.NewFlagSet("kube", pflag.ContinueOnError)
	o.ConfigFlags.AddFlags(scratch)
	o.flagSets = append(o.flagSets, fs)
	o.configNames = o.configNames[:0]
	scratch.VisitAll(func(f *pflag.Flag) {
		f.Shorthand = ""
		o.configNames = append(o.configNames, f.Name)
		if fs.Lookup(f.Name) == nil {
			fs.AddFlag(f)
		}
	})
	fs.StringVar(&o.Selector, "selector", o.Selector, "Label selector for the pods to inspect (kubectl's -l)")
	fs.BoolVar(&o.AllNamespaces, "all-namespaces", o.AllNamespaces, "Select pods in every namespace (kubectl's -A)")
	fs.StringVar(&o.Node, "node", o.Node, "Only pods on this node")
	fs.StringVar(&o.Container, "container", o.Container, "One container of the pod (kubectl's -c)")
	fs.Var(&o.Method, "method", "How to read a pod: auto (local if its containers run here, else agent), local, agent (a privileged pod on the pod's node), exec (cat /proc/net/* in the container)")
	fs.StringVar(&o.Image, "image", o.Image, "Agent pod image (default "+ImageRepo+":<this version>)")
	fs.DurationVar(&o.AgentTimeout, "agent-timeout", o.AgentTimeout, "Longest life of an agent pod, including its start")
}

// Listing reports whether --selector, --all-namespaces or --node select pods.
func (o *Options) Listing() bool {
	return o.Selector != "" || o.AllNamespaces || o.Node != ""
}

// ExplicitFlags names, as "--flag", every Kubernetes flag the user set on the
// command line: cli-runtime's (--kubeconfig, --context, --server, …) and the
// pod selection flags. When any is set, a missing or broken kubeconfig is an
// error, never a silent fallback to this host's runtime state.
func (o *Options) ExplicitFlags() []string {
	var out []string
	for _, n := range append(append([]string(nil), o.configNames...), "selector", "all-namespaces", "node", "method") {
		for _, fs := range o.flagSets {
			// Lookup by name, not pointer: fs may hold another command's flag of that name.
			if f := fs.Lookup(n); f != nil && f.Changed {
				out = append(out, "--"+n)
				break
			}
		}
	}
	return out
}

// namespace is --namespace, else the kubeconfig context's, else "default";
// explicit reports whether the user chose it.
func (o *Options) namespace() (ns string, explicit bool, err error) {
	ns, explicit, err = o.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", false, o.configError(err)
	}
	if ns == "" {
		ns = "default"
	}
	return ns, explicit, nil
}

// Complete builds the REST config and clientset unless a test set them.
// It does not contact the server.
func (o *Options) Complete() error {
	if o.Client != nil && o.RESTConfig != nil {
		return nil
	}
	if o.RESTConfig == nil {
		// With no kubeconfig, client-go quietly falls back to localhost:8080;
		// say what is missing instead.
		raw, err := o.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return o.configError(err)
		}
		server := o.ConfigFlags.APIServer != nil && *o.ConfigFlags.APIServer != ""
		if len(raw.Clusters) == 0 && !server && os.Getenv("KUBERNETES_SERVICE_HOST") == "" {
			return o.configError(clientcmd.ErrEmptyConfig)
		}
		cfg, err := o.ConfigFlags.ToRESTConfig()
		if err != nil {
			return o.configError(err)
		}
		o.RESTConfig = rest.CopyConfig(cfg)
	}
	if o.RESTConfig.Dial == nil {
		// A dead address fails fast instead of waiting out the kernel's SYN retries.
		d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
		o.RESTConfig.Dial = d.DialContext
	}
	if o.Client == nil {
		c, err := kubernetes.NewForConfig(o.RESTConfig)
		if err != nil {
			return fmt.Errorf("kubernetes client: %w", err)
		}
		o.Client = c
	}
	return nil
}

func (o *Options) configError(err error) error {
	explicit := o.ExplicitFlags()
	kc := o.ConfigFlags.KubeConfig
	if clientcmd.IsEmptyConfig(err) && kc != nil && *kc != "" {
		return errorf(ErrNoKubeconfig, "--kubeconfig %s: no cluster is defined in it; check the file or drop --kubeconfig", *kc)
	}
	if clientcmd.IsEmptyConfig(err) || errors.Is(err, rest.ErrNotInCluster) {
		if len(explicit) > 0 {
			return errorf(ErrNoKubeconfig, "%s needs the Kubernetes API, but no kubeconfig was found (set KUBECONFIG or --kubeconfig) and this is not a pod in a cluster; for pods on this host without the API use pod/NAMESPACE/NAME or --all-containers", strings.Join(explicit, ", "))
		}
		return errorf(ErrNoKubeconfig, "no kubeconfig found (set KUBECONFIG or --kubeconfig) and not running in a cluster")
	}
	if kc != nil && *kc != "" {
		return errorf(ErrNoKubeconfig, "--kubeconfig %s: %v", *kc, oneLine(err))
	}
	return errorf(ErrNoKubeconfig, "kubeconfig: %v", oneLine(err))
}

// requestTimeout bounds one short API call: --request-timeout when set, else
// DefaultRequestTimeout.
func (o *Options) requestTimeout() time.Duration {
	if o.ConfigFlags != nil && o.ConfigFlags.Timeout != nil {
		if d, err := time.ParseDuration(*o.ConfigFlags.Timeout); err == nil && d > 0 {
			return d
		}
	}
	return DefaultRequestTimeout
}

// call runs one short API call under the request timeout.
func (o *Options) call(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, o.requestTimeout())
	defer cancel()
	return fn(ctx)
}

// image is the agent image to run.
func (o *Options) image() string {
	if o.Image != "" {
		return o.Image
	}
	return DefaultImage(o.Version)
}

// oneLine folds an error's text to one line, for the one-line error rule.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
