package labci

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
)

// What the outputs the destroy job writes to $GITHUB_ENV and $GITHUB_OUTPUT
// may look like. A value is written as NAME=VALUE lines, so one holding a
// newline (or, for a bare line, an "=") would set variables of its own in a
// job that holds the deploy role; each pattern admits only what AWS itself
// allows (the program refuses anything else up front, infra/config).
var (
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	clusterPattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`) // EKS: 100 characters
	zonePattern    = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)                // Route 53 hosted zone IDs
	ownerPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
)

// StackOutputs are the outputs of a stack its destroy job works with.
type StackOutputs struct {
	Region  string // the `region` output, else the stack file's aws:region, else the default
	Cluster string // `clusterName`; "" when absent
	Zone    string // `hostedZoneId`: "" for a stack without one, "absent" for a stack from before the output
	Owner   string // `txtOwnerId`; "" when absent
}

// ReadStackOutputs reads `pulumi stack output --json` and checks every value
// it returns; file is the stack file's content (nil without one).
func ReadStackOutputs(outputs, file []byte, defaultRegion string) (StackOutputs, error) {
	var doc map[string]any
	if err := json.Unmarshal(outputs, &doc); err != nil {
		return StackOutputs{}, fmt.Errorf("pulumi stack output --json: %v", err)
	}
	get := func(name string, pattern *regexp.Regexp) (string, bool, error) {
		v, ok := doc[name]
		if !ok || v == nil {
			return "", false, nil
		}
		text, isText := v.(string)
		if !isText || (text != "" && !pattern.MatchString(text)) {
			return "", true, fmt.Errorf("output %s = %s is not a value it can hold (%s): refusing to use it", name, jsonText(v), pattern)
		}
		return text, true, nil
	}
	var out StackOutputs
	var err error
	var zoneSet bool
	if out.Region, _, err = get("region", regionPattern); err != nil {
		return out, err
	}
	if out.Cluster, _, err = get("clusterName", clusterPattern); err != nil {
		return out, err
	}
	if out.Zone, zoneSet, err = get("hostedZoneId", zonePattern); err != nil {
		return out, err
	}
	if !zoneSet {
		out.Zone = "absent"
	}
	if out.Owner, _, err = get("txtOwnerId", ownerPattern); err != nil {
		return out, err
	}
	if out.Region == "" {
		if out.Region, err = fileRegion(file); err != nil {
			return out, err
		}
	}
	if out.Region == "" {
		out.Region = defaultRegion
	}
	if !regionPattern.MatchString(out.Region) {
		return out, fmt.Errorf("region %q (from the stack file or the default) is not an AWS region", out.Region)
	}
	return out, nil
}

// fileRegion is aws:region of a stack file, "" when it has none.
func fileRegion(file []byte) (string, error) {
	config, err := fileConfig(file)
	if err != nil {
		return "", fmt.Errorf("stack file: %v", err)
	}
	v, _ := config["aws:region"].(string)
	return v, nil
}

// StackOutputsCommand writes the outputs of stack (`pulumi stack output
// --json` on stdin) as region=, cluster=, zone= and owner= lines, checked,
// for the destroy job's $GITHUB_OUTPUT.
func StackOutputsCommand(stdin io.Reader, stack, defaultRegion string, stdout io.Writer) error {
	if stack == "" {
		return fmt.Errorf("--stack is required")
	}
	outputs, err := io.ReadAll(stdin)
	if err != nil {
		return err
	}
	file, err := os.ReadFile(StackFile(stack))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	o, err := ReadStackOutputs(outputs, file, defaultRegion)
	if err != nil {
		return fmt.Errorf("stack %s: %v", stack, err)
	}
	_, err = fmt.Fprintf(stdout, "region=%s\ncluster=%s\nzone=%s\nowner=%s\n", o.Region, o.Cluster, o.Zone, o.Owner)
	return err
}
