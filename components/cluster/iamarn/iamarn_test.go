package iamarn

import "testing"

func TestPrincipal(t *testing.T) {
	for caller, want := range map[string]string{
		// An SSO or CI session: the role, without the path the session ARN lacks.
		"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/member": "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123",
		"arn:aws:sts::123456789012:assumed-role/github-ci/GitHubActions":          "arn:aws:iam::123456789012:role/github-ci",
		"arn:aws-cn:sts::123456789012:assumed-role/ci/s":                          "arn:aws-cn:iam::123456789012:role/ci",
		// Users and roots are principals themselves.
		"arn:aws:iam::123456789012:user/member": "arn:aws:iam::123456789012:user/member",
		"arn:aws:iam::123456789012:root":        "arn:aws:iam::123456789012:root",
	} {
		if got := Principal(caller); got != want {
			t.Errorf("Principal(%s) = %s, want %s", caller, got, want)
		}
	}
}

func TestSameRole(t *testing.T) {
	const sso = "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123"
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{sso, "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123", true}, // path dropped by the session
		{sso, sso, true},
		{sso, "arn:aws:iam::210987654321:role/AWSReservedSSO_Admin_0123", false}, // another account
		{sso, "arn:aws-cn:iam::123456789012:role/AWSReservedSSO_Admin_0123", false},
		{sso, "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_01234", false},
		{"arn:aws:iam::123456789012:user/ci", "arn:aws:iam::123456789012:role/ci", false}, // a user is no role
		{"", "", false},
	} {
		if got := SameRole(tc.a, tc.b); got != tc.want {
			t.Errorf("SameRole(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
