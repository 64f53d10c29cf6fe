package tests

import (
	"os"
	"testing"

	"github.com/eks-study/lab/internal/testing/kubetest"
	"github.com/eks-study/lab/internal/testing/motoserver"
)

// TestMain stops what the tier tests start once for the whole package, on
// first use: the kube-apiserver with etcd (kubetest) and moto (motoserver).
func TestMain(m *testing.M) {
	code := kubetest.Main(m)
	motoserver.Stop()
	os.Exit(code)
}
