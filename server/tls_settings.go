package server

import "crypto/tls"

// TLSSettings returns the TLS settings every certificate source serves
// with: the minimum version and the TLS 1.2 cipher suites, by name (TLS
// 1.3's suites are fixed by Go and all sound).
func TLSSettings() (minVersion string, suites []string) {
	c := newTLSConfig()
	for _, id := range c.CipherSuites {
		suites = append(suites, tls.CipherSuiteName(id))
	}
	return tls.VersionName(c.MinVersion), suites
}
