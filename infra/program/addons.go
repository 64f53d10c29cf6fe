package program

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// deployAddons is replaced by the add-ons work (issue 3).
func deployAddons(ctx *pulumi.Context, b *base) (map[string]pulumi.Input, error) {
	return nil, nil
}
