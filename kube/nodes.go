package kube

import (
	"context"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodeNames lists the cluster's nodes, sorted.
func (o *Options) NodeNames(ctx context.Context) ([]string, error) {
	if err := o.Complete(); err != nil {
		return nil, err
	}
	var names []string
	err := o.call(ctx, func(ctx context.Context) error {
		list, err := o.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, n := range list.Items {
			names = append(names, n.Name)
		}
		return nil
	})
	if err != nil {
		return nil, o.apiError(err, "list nodes", "list", "nodes", "")
	}
	sort.Strings(names)
	return names, nil
}
