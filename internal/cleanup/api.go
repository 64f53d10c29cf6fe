package cleanup

import "context"

// API is the cleanup's Kubernetes client for other tools: the acceptance
// test reads nodes and pods with it and creates a member's objects.
type API struct{ c *client }

// NewAPI resolves the current context of a kubeconfig (YAML or JSON; an exec
// credential plugin such as `aws eks get-token` runs when a token is needed).
func NewAPI(kubeconfig []byte) (*API, error) {
	rc, err := parseKubeconfig(kubeconfig, "")
	if err != nil {
		return nil, err
	}
	return &API{c: &client{cfg: rc}}, nil
}

// Do sends method to path (e.g. "/api/v1/nodes") with a JSON body (nil for
// none) and decodes the JSON answer into out (nil discards it). A non-2xx
// answer is an error naming the method, path, status code and message.
func (a *API) Do(ctx context.Context, method, path string, body []byte, out any) error {
	return a.c.do(ctx, method, path, body, out)
}
