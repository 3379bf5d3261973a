package netpolicy

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"strongroom"
)

// Check reads a list whole: every problem is named by its field
// (entries[2].cidr, entries[0].label), and nothing is saved unless all
// are right. A bare address is a /32 or /128; networks are made canonical
// (host bits cleared); a network given twice is kept once.
func Check(in []EntryInput) ([]Entry, error) {
	var ps strongroom.Problems
	if len(in) > MaxEntries {
		ps.Addf("entries", "At most %d networks may be allowed.", MaxEntries)
		return nil, ps.Err()
	}
	out := make([]Entry, 0, len(in))
	seen := map[netip.Prefix]bool{}
	for i, e := range in {
		field := fmt.Sprintf("entries[%d]", i)
		p, err := ParseCIDR(e.CIDR)
		if err != nil {
			ps.Addf(field+".cidr", "%s", err.Error())
		}
		label := strings.TrimSpace(e.Label)
		switch {
		case !utf8.ValidString(label):
			ps.Addf(field+".label", "Write the label as text.")
		case utf8.RuneCountInString(label) > MaxLabel:
			ps.Addf(field+".label", "Keep the label to %d characters.", MaxLabel)
		case strings.IndexFunc(label, unicode.IsControl) >= 0:
			ps.Addf(field+".label", "The label may not hold control characters.")
		}
		if err == nil && !seen[p] {
			seen[p] = true
			out = append(out, Entry{Prefix: p, Label: label})
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

type parseError string

func (e parseError) Error() string { return string(e) }

// ParseCIDR reads one network: 192.0.2.0/24, 2001:db8::/48, or a single
// address. An IPv4 address written inside IPv6 (::ffff:192.0.2.1) is taken
// as the IPv4 address it is.
func ParseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Prefix{}, parseError("Write a network such as 192.0.2.0/24 or 2001:db8::/48, or one address.")
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || a.Zone() != "" {
			return netip.Prefix{}, parseError("Write each network as an address or an address range such as 192.0.2.0/24 or 2001:db8::/48.")
		}
		a = a.Unmap()
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, parseError("Write an IPv4 network as IPv4, such as 192.0.2.0/24.")
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// Format writes entries one a line, "CIDR label", as the form shows them
// and the audit trail records them.
func Format(entries []Entry) string {
	var b strings.Builder
	for i, e := range entries {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Prefix.String())
		if e.Label != "" {
			b.WriteByte(' ')
			b.WriteString(e.Label)
		}
	}
	return b.String()
}

// ParseLines reads the form's text: one network a line, an optional label
// after the first space; blank lines are skipped. Line numbers are kept
// (from 1) so that a problem can name its line.
func ParseLines(text string) (entries []EntryInput, lines []int) {
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		cidr, label, _ := strings.Cut(line, " ")
		entries = append(entries, EntryInput{CIDR: cidr, Label: strings.TrimSpace(label)})
		lines = append(lines, i+1)
	}
	return entries, lines
}
