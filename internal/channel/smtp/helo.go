package smtp

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"
)

// The host's own name, looked up when no EHLO name is configured;
// variables so that tests can stand in for the machine and its resolver.
var (
	hostname    = os.Hostname
	lookupCNAME = func(host string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return net.DefaultResolver.LookupCNAME(ctx, host)
	}
)

// defaultHeloName is the machine's fully qualified name: its host name
// when it has a dot, else the canonical name the resolver gives it, else
// "" (each connection then gives the literal of its local address).
func defaultHeloName() string {
	h, err := hostname()
	if err != nil || h == "" {
		return ""
	}
	h = strings.TrimSuffix(h, ".")
	if isFQDN(h) {
		return h
	}
	if c, err := lookupCNAME(h); err == nil {
		if c = strings.TrimSuffix(c, "."); isFQDN(c) {
			return c
		}
	}
	return ""
}

// isFQDN reports whether h is a domain name of two labels or more, none
// of them meaningless to a receiver ("localhost.localdomain").
func isFQDN(h string) bool {
	if !strings.Contains(h, ".") || !isDomain(h) {
		return false
	}
	l := strings.ToLower(h)
	return !strings.HasPrefix(l, "localhost.") && !strings.HasSuffix(l, ".localdomain") && !strings.HasSuffix(l, ".local")
}

// isDomain reports whether h is made of LDH labels (RFC 5321 §4.1.2).
func isDomain(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

// isHeloName reports whether s may follow EHLO: a domain or an address
// literal.
func isHeloName(s string) bool {
	if lit, ok := strings.CutPrefix(s, "["); ok {
		lit, ok = strings.CutSuffix(lit, "]")
		if v6, is6 := strings.CutPrefix(lit, "IPv6:"); is6 {
			a, err := netip.ParseAddr(v6)
			return ok && err == nil && a.Is6()
		}
		a, err := netip.ParseAddr(lit)
		return ok && err == nil && a.Is4()
	}
	return isDomain(s)
}

// addressLiteral is the EHLO name of a client without a domain name: its
// address in brackets (RFC 5321 §4.1.3), "[IPv6:…]" for IPv6.
func addressLiteral(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "[127.0.0.1]"
	}
	ip, _ := netip.AddrFromSlice(tcp.IP)
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return "[" + ip.String() + "]"
	}
	return "[IPv6:" + ip.String() + "]"
}
