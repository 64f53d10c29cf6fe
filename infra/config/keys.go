package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/eks-study/lab/internal/suggest"
)

// AWSNamespace is the aws provider's config namespace. A stack file holds
// keys of Namespace and AWSNamespace (and the engine's pulumi:) only; a key
// of any other namespace would reach nothing.
const AWSNamespace = "aws"

// pulumiNamespace holds the engine's own settings (such as
// pulumi:disable-default-providers), which the engine reads, not the program.
const pulumiNamespace = "pulumi"

// AWS provider keys the program builds its aws provider from (and the
// kubeconfig's `aws eks get-token`, through pulumi-eks). Every other aws:
// key is refused: the program's provider is explicit, so the default
// provider's keys would be ignored.
const (
	awsRegion            = AWSNamespace + ":region"
	awsProfile           = AWSNamespace + ":profile"
	awsAllowedAccountIDs = AWSNamespace + ":allowedAccountIds"
)

// awsCredentialKeys are the aws provider's static credentials: a long-lived
// key in a stack file is one in git, in every preview's logs and in the state.
var awsCredentialKeys = []string{"accessKey", "secretKey", "token"}

// awsRoleKeys assume a role; the lab takes a role through a named profile
// instead, which the provider and `aws eks get-token` both honour.
var awsRoleKeys = []string{"assumeRole", "assumeRoles", "assumeRoleWithWebIdentity"}

// checkKeys refuses every key the stack sets that Load never read: a typo in
// a lab key, a key of another namespace (a look-alike of eks-lab, say) and
// an aws: key the lab's provider does not take would all be ignored without
// a word.
func (r *reader) checkKeys() {
	var known, lab []string
	for k := range r.read {
		known = append(known, k)
		if name, ok := strings.CutPrefix(k, Namespace+":"); ok {
			lab = append(lab, name)
		}
	}
	slices.Sort(known)
	slices.Sort(lab)
	for _, key := range r.src.Keys {
		ns, name, _ := strings.Cut(key, ":")
		if r.read[key] || ns == pulumiNamespace {
			continue
		}
		value := r.shown(key)
		rm := "pulumi config rm " + shellWord(key)
		switch {
		case ns == Namespace:
			fix := rm + "; docs/configuration.md lists the keys"
			if s := suggest.Closest(name, lab); s != "" {
				fix = fmt.Sprintf("did you mean %s:%s? %s && pulumi config set %s:%s VALUE", Namespace, s, rm, Namespace, s)
			}
			r.errs = append(r.errs, fmt.Errorf("%s = %s: not a key of this lab%s, so the value would be ignored; %s", key, value, lookAlikes(key), fix))
		case ns == AWSNamespace && slices.Contains(awsCredentialKeys, name):
			r.errs = append(r.errs, fmt.Errorf("%s = %s: the lab takes no AWS credentials from config (a long-lived key in a stack file ends up in git, logs and the state); %s and sign in through your shell instead (aws sso login, or a named profile with pulumi config set %s NAME)",
				key, value, rm, awsProfile))
		case ns == AWSNamespace && slices.Contains(awsRoleKeys, name):
			r.errs = append(r.errs, fmt.Errorf("%s = %s: the lab's AWS provider does not assume roles from config; %s, put the role in a named profile of ~/.aws/config (role_arn and source_profile) and set %s to it, which the provider and the kubeconfig's aws eks get-token both use",
				key, value, rm, awsProfile))
		case ns == AWSNamespace:
			fix := rm
			if s := suggest.Closest(key, []string{awsRegion, awsProfile, awsAllowedAccountIDs}); s != "" {
				fix = fmt.Sprintf("did you mean %s? %s && pulumi config set %s VALUE", s, rm, s)
			}
			r.errs = append(r.errs, fmt.Errorf("%s = %s: the lab's AWS provider takes only %s, %s and %s from config, so this key would be ignored%s; %s",
				key, value, awsRegion, awsProfile, awsAllowedAccountIDs, lookAlikes(key), fix))
		default:
			fix := rm + " (keys take the " + Namespace + ": or " + AWSNamespace + ": namespace; docs/configuration.md lists them)"
			if s := suggest.Closest(key, known); s != "" {
				fix = fmt.Sprintf("did you mean %s? %s && pulumi config set %s VALUE", s, rm, s)
			}
			r.errs = append(r.errs, fmt.Errorf("%s = %s: namespace %q is neither %s nor %s%s, so nothing reads this key; %s",
				key, value, ns, Namespace, AWSNamespace, lookAlikes(key), fix))
		}
	}
}

// lookAlikes names the characters of key outside ASCII: a Unicode hyphen
// (U+2010) or a Cyrillic "е" looks right in an editor and names another key.
func lookAlikes(key string) string {
	var out []string
	for _, c := range key {
		if c >= utf8.RuneSelf {
			out = append(out, fmt.Sprintf("%q is %U", c, c))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " (it has characters that only look like ASCII: " + strings.Join(slices.Compact(out), ", ") + "; retype the key)"
}

// shellWord quotes key for a shell command when it needs it.
func shellWord(key string) string {
	if plainWord.MatchString(key) {
		return key
	}
	return "'" + strings.ReplaceAll(key, "'", `'\''`) + "'"
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_.:/-]+$`)

// shown is how a refusal shows the value of key as the stack sets it.
func (r *reader) shown(key string) string {
	if r.src.Secret != nil && r.src.Secret(key) {
		return Hidden
	}
	v, _ := r.src.Get(key)
	return Shown(key, v)
}

// Hidden stands for a value a refusal does not show.
const Hidden = "[value not shown: it may be a secret]"

// maxShown is the longest value a refusal shows whole.
const maxShown = 80

var (
	// credentialKey matches key names whose values are credentials.
	credentialKey = regexp.MustCompile(`(?i)(token|password|passwd|passphrase|secret|credential|privatekey|accesskey|apikey)|key$`)
	// accessKeyID and pemKey match an AWS access key ID and a PEM private key.
	accessKeyID = regexp.MustCompile(`\b(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}\b`)
	pemKey      = regexp.MustCompile(`-----BEGIN`)
	// base64of40 matches a run of exactly 40 base64 characters, the form of
	// an AWS secret access key.
	base64of40 = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`)
)

// Shown is a stack value as an error message may quote it. Refusals go to
// terminals, CI logs and pull-request comments: the value of a key named
// like a credential, or one that looks like an AWS key, is never shown, and
// a long value is cut. It is the one rule for every message that echoes a
// value.
func Shown(key, value string) string {
	_, name, _ := strings.Cut(key, ":")
	if credentialKey.MatchString(name) || looksLikeCredential(value) {
		return Hidden
	}
	if n := utf8.RuneCountInString(value); n > maxShown {
		return fmt.Sprintf("%q... (%d characters)", string([]rune(value)[:maxShown-20]), n)
	}
	return fmt.Sprintf("%q", value)
}

// looksLikeCredential tells whether v holds an AWS access key ID, a PEM key,
// or 40 base64 characters mixing lower case, upper case and digits.
func looksLikeCredential(v string) bool {
	if accessKeyID.MatchString(v) || pemKey.MatchString(v) {
		return true
	}
	for _, m := range base64of40.FindAllStringSubmatch(v, -1) {
		s := m[1]
		if strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(s, "0123456789") {
			return true
		}
	}
	return false
}
