package message

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// Push limits.
const (
	// maxExpiration bounds ios.expiration: FCM keeps a message 28 days at
	// most, and so do we for APNs.
	maxExpiration = 28 * 24 * time.Hour
	// maxCollapseID is APNs' limit on apns-collapse-id.
	maxCollapseID = 64
)

// pushOptions are the push settings that are not templates.
type pushOptions struct {
	background bool
	expiration *time.Duration
}

// checkPush validates the settings of a push that are not templates and
// returns them with the problems found.
func checkPush(s *Push) (pushOptions, []Problem) {
	var probs []Problem
	add := func(field, format string, args ...any) {
		probs = append(probs, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	keys := make([]string, 0, len(s.Data))
	for k := range s.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if why := channel.ReservedDataKey(k); why != "" {
			add("data."+k, "data key %q is %s", k, why)
		}
	}
	o := pushOptions{background: s.Background}
	if s.Background {
		// A background push shows nothing: APNs refuses one with an
		// alert, a sound or a badge.
		for field, v := range map[string]bool{"title": s.Title != "", "body": s.Body != "", "image": s.Image != "",
			"ios.sound": s.IOS != nil && s.IOS.Sound != "", "ios.badge": s.IOS != nil && s.IOS.Badge != nil,
			"ios.category": s.IOS != nil && s.IOS.Category != ""} {
			if v {
				add(field, "a background push shows nothing: leave %s out", field)
			}
		}
		sort.Slice(probs, func(i, j int) bool { return probs[i].Field < probs[j].Field })
	} else if s.Body == "" && s.Title == "" {
		add("body", "a title or a body is required (or background: true for a data-only push)")
	}
	if s.IOS != nil && s.IOS.Expiration != "" {
		d, err := time.ParseDuration(s.IOS.Expiration)
		switch {
		case err != nil:
			add("ios.expiration", "%q is not a duration such as 6h or 0s", s.IOS.Expiration)
		case d < 0 || d > maxExpiration:
			add("ios.expiration", "must be from 0s to %s", maxExpiration)
		default:
			o.expiration = &d
		}
	}
	if s.IOS != nil && len(s.IOS.CollapseID) > maxCollapseID && !strings.Contains(s.IOS.CollapseID, "{") {
		add("ios.collapse_id", "longer than %d bytes", maxCollapseID)
	}
	return o, probs
}

// checkCollapseID refuses a rendered collapse ID APNs would refuse.
func checkCollapseID(id string) error {
	if len(id) > maxCollapseID {
		return fmt.Errorf("%d bytes: at most %d", len(id), maxCollapseID)
	}
	return nil
}
