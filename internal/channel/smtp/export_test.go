package smtp

// StandInHost replaces the machine's name and its resolver's answer for
// the EHLO name's default until the returned function restores them.
func StandInHost(name, canonical string) (restore func()) {
	h, l := hostname, lookupCNAME
	hostname = func() (string, error) { return name, nil }
	lookupCNAME = func(string) (string, error) { return canonical, nil }
	return func() { hostname, lookupCNAME = h, l }
}
