package channel

import (
	"regexp"
	"strconv"
)

// EnhancedStatus is an RFC 3463 enhanced status code: class (2 success, 4
// persistent transient failure, 5 permanent failure), subject, detail.
type EnhancedStatus [3]int

// enhancedRE finds a code, not a piece of a dotted address or version
// (192.5.1.1, 5.1.1.3).
var enhancedRE = regexp.MustCompile(`(?:^|[^\w.])([245])\.(\d{1,3})\.(\d{1,3})(?:\.?(?:[^\w.]|$))`)

// ParseEnhancedStatus reads the first enhanced status code in s ("5.1.1",
// "smtp; 550 5.1.1 user unknown").
func ParseEnhancedStatus(s string) (EnhancedStatus, bool) {
	m := enhancedRE.FindStringSubmatch(s)
	if m == nil {
		return EnhancedStatus{}, false
	}
	var e EnhancedStatus
	for i := range e {
		e[i], _ = strconv.Atoi(m[i+1])
	}
	return e, true
}

// String is the code as written: "5.1.1".
func (e EnhancedStatus) String() string {
	return strconv.Itoa(e[0]) + "." + strconv.Itoa(e[1]) + "." + strconv.Itoa(e[2])
}

// AddressGone reports whether the code says the recipient's address itself
// is unusable for good, a hard bounce: 5.1.1 bad mailbox, 5.1.2 bad
// domain, 5.1.3 bad syntax, 5.1.6 mailbox moved, 5.1.10 null MX, 5.2.1
// mailbox disabled. A policy refusal (5.7.x: spam, reputation), a full
// mailbox (5.2.2) or a transient failure (4.x.x) is not: the address may
// work later.
func (e EnhancedStatus) AddressGone() bool {
	switch {
	case e[0] == 5 && e[1] == 1:
		return e[2] == 1 || e[2] == 2 || e[2] == 3 || e[2] == 6 || e[2] == 10
	case e[0] == 5 && e[1] == 2:
		return e[2] == 1
	}
	return false
}
