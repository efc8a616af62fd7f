package delivery

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"time"
)

//go:embed machines.txt
var defaultMachines string

// Machines tells a machine's open or click from a person's: by the
// network it comes from and the user agent it gives (machines.txt, or an
// operator's file in the same format), and by its timing.
type Machines struct {
	nets []machineNet
	uas  []machineUA
	// ScanWindow: an event this soon after the message was made is a
	// scanner's, which fetches what a message holds as it arrives.
	ScanWindow time.Duration

	// verdicts keeps the user agent rules' verdict by user agent: the
	// rules' case-insensitive alternations took 70 µs a hit, three
	// quarters of what recording an open cost (BenchmarkClassify), and
	// the user agents of a campaign's opens are a few hundred. At most
	// maxVerdicts are kept; past them the map starts again.
	mu       sync.RWMutex
	verdicts map[string]string
}

// maxVerdicts bounds the user agents whose verdict is kept.
const maxVerdicts = 4096

type machineNet struct {
	prefix netip.Prefix
	kind   string
}

type machineUA struct {
	re   *regexp.Regexp
	kind string
}

// DefaultScanWindow is how soon after its message an event is taken for a
// scanner's.
const DefaultScanWindow = 10 * time.Second

// DefaultMachines returns the machines shipped with Fanfare.
func DefaultMachines() *Machines {
	m, err := ParseMachines(strings.NewReader(defaultMachines))
	if err != nil {
		panic(err)
	}
	return m
}

// ParseMachines reads a machines file: "net <CIDR> <kind>" and
// "ua <regular expression> <kind>" lines, # comments; net lines are
// tried first, then ua lines, each in order (see Classify).
func ParseMachines(r io.Reader) (*Machines, error) {
	m := &Machines{ScanWindow: DefaultScanWindow}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		what, rest, _ := strings.Cut(line, " ")
		i := strings.LastIndexByte(rest, ' ')
		if i < 0 {
			return nil, fmt.Errorf("machines line %d: want \"net <CIDR> <kind>\" or \"ua <regexp> <kind>\"", n)
		}
		pattern, kind := strings.TrimSpace(rest[:i]), rest[i+1:]
		switch what {
		case "net":
			p, err := netip.ParsePrefix(pattern)
			if err != nil {
				return nil, fmt.Errorf("machines line %d: %v", n, err)
			}
			m.nets = append(m.nets, machineNet{p.Masked(), kind})
		case "ua":
			re, err := regexp.Compile(pattern)
			if err != nil {
				return nil, fmt.Errorf("machines line %d: %v", n, err)
			}
			m.uas = append(m.uas, machineUA{re, kind})
		default:
			return nil, fmt.Errorf("machines line %d: %q is neither net nor ua", n, what)
		}
	}
	return m, sc.Err()
}

// Hit is one fetch of a tracking link or pixel.
type Hit struct {
	At        time.Time
	Method    string
	IP        netip.Addr
	UserAgent string
}

// Classify returns which machine made a hit, "" for a person: a HEAD
// request or a hit within ScanWindow of the message is a scanner's, else
// the first network or user agent rule that matches decides.
func (m *Machines) Classify(h Hit, sent time.Time) string {
	if h.Method == http.MethodHead {
		return "scanner"
	}
	if !sent.IsZero() && h.At.Sub(sent) < m.ScanWindow {
		return "scanner"
	}
	if h.IP.IsValid() {
		ip := h.IP.Unmap()
		for _, n := range m.nets {
			if n.prefix.Contains(ip) {
				return n.kind
			}
		}
	}
	return m.byUserAgent(h.UserAgent)
}

// byUserAgent is the first user agent rule's verdict on ua, "" for none.
func (m *Machines) byUserAgent(ua string) string {
	m.mu.RLock()
	kind, ok := m.verdicts[ua]
	m.mu.RUnlock()
	if ok {
		return kind
	}
	for _, u := range m.uas {
		if u.re.MatchString(ua) {
			kind = u.kind
			break
		}
	}
	m.mu.Lock()
	if m.verdicts == nil || len(m.verdicts) >= maxVerdicts {
		m.verdicts = make(map[string]string)
	}
	m.verdicts[ua] = kind
	m.mu.Unlock()
	return kind
}
