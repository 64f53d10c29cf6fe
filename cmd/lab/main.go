// Command lab is the study group's offline companion to `pulumi`: lab plan,
// diff, cleanup and audit (internal/labtool).
package main

import (
	"os"

	"github.com/eks-study/lab/internal/labtool"
)

func main() {
	os.Exit(labtool.Main(os.Args[1:], os.Stdout, os.Stderr))
}
