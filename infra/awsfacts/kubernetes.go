package awsfacts

import "time"

// EKSCalendarAsOf is when EKSStandardSupportEnds was last compared with the
// EKS Kubernetes release calendar. It is also the earliest date a support
// check uses (SupportDate): no run of this code happens before it.
var EKSCalendarAsOf = time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)

// EKSStandardSupportEnds is the day each Kubernetes minor version leaves EKS
// standard support (00:00 UTC; extended support, $0.60 instead of $0.10 per
// cluster hour, bills from the start of that day). From the EKS User Guide's
// "Amazon EKS Kubernetes release calendar"
// (awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc
// at 013856044148d6eeed4723027a45aa2180536bcb: 1.34 ends December 2, 2026),
// and for the versions released since, the same table as endoflife.date
// scrapes it (endoflife-date/endoflife.date products/amazon-eks.md at
// a70eca337600e7d721dc48112c271f98661d208b, its release_table method reads
// docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).
// A version EKS has released since EKSCalendarAsOf is missing until its row
// is added here (1.37: the calendar listed no EKS release of it).
var EKSStandardSupportEnds = map[string]time.Time{
	"1.34": time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC),
	"1.35": time.Date(2027, 3, 27, 0, 0, 0, 0, time.UTC),
	"1.36": time.Date(2027, 8, 2, 0, 0, 0, 0, time.UTC),
}

// SupportDate is the date a Kubernetes version must still be in standard
// support on: the program's clock, but never before EKSCalendarAsOf. `lab
// plan` runs the program at a fixed clock in the past (offline.Now, for
// byte-stable plans); this keeps its check from accepting a version that
// has left standard support since.
func SupportDate(now time.Time) time.Time {
	if now.Before(EKSCalendarAsOf) {
		return EKSCalendarAsOf
	}
	return now
}
