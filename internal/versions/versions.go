// Package versions holds the project's version pins, one constant per pin,
// so that each lives in one place. It is plain constants and imports
// nothing: scripts and workflows read a pin with
// `go run ./cmd/lab-ci version NAME`, which builds in seconds.
package versions

// PulumiCLI is the pulumi CLI release the project runs. Used by
// .ci/pulumi-cli.sh (the CLI test tier builds it from source), by
// .github/actions/pulumi-cli (the workflows install it with pulumi/actions),
// and by tests/cli (which asserts that release's messages).
const PulumiCLI = "v3.274.1"
