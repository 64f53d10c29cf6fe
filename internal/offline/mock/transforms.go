package mock

import (
	"context"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/eks-study/lab/internal/offline"
)

// Transformed returns the inputs a child of r, of type typ and name, is
// registered with once r's transforms (pulumi.Transforms) have run. The
// engine runs a resource's transforms on each of its children, the children
// of a remote component included, which the mock engine never sees (they
// are registered by the component's provider): this calls the program's
// transform callbacks as the engine does (a TransformRequest to each
// callback, in order), so a test can check what such a child would get.
func Transformed(r offline.Resource, typ, name string, inputs map[string]any) (map[string]any, error) {
	marshal := plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true}
	props, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(inputs), marshal)
	if err != nil {
		return nil, err
	}
	for _, cb := range r.Transforms {
		req, err := proto.Marshal(&pulumirpc.TransformRequest{
			Type: typ, Name: name, Custom: true, Parent: r.URN, Properties: props,
			Options: &pulumirpc.TransformResourceOptions{},
		})
		if err != nil {
			return nil, err
		}
		res, err := invoke(&pulumirpc.Callback{Target: cb.Target, Token: cb.Token}, req)
		if err != nil {
			return nil, fmt.Errorf("transform of %s on %s %s: %w", r.URN, typ, name, err)
		}
		var out pulumirpc.TransformResponse
		if err := proto.Unmarshal(res, &out); err != nil {
			return nil, err
		}
		if out.Properties != nil { // nil: the transform left the child alone
			props = out.Properties
		}
	}
	pm, err := plugin.UnmarshalProperties(props, marshal)
	if err != nil {
		return nil, err
	}
	return plainMap(pm), nil
}

// invoke calls a callback of the program's callback server.
func invoke(cb *pulumirpc.Callback, req []byte) ([]byte, error) {
	conn, err := grpc.NewClient(cb.GetTarget(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := pulumirpc.NewCallbacksClient(conn).Invoke(ctx, &pulumirpc.CallbackInvokeRequest{Token: cb.GetToken(), Request: req})
	if err != nil {
		return nil, err
	}
	return res.GetResponse(), nil
}
