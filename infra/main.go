// The lab's Pulumi program (Pulumi.yaml: main: infra/).
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/infra/program"
)

func main() {
	pulumi.Run(program.Run)
}
