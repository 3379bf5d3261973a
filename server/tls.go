package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	selfSignedValidity = 365 * 24 * time.Hour
	selfSignedRenewal  = 7 * 24 * time.Hour // regenerate when this close to expiry
)

// newTLSConfig returns the TLS settings shared by every certificate source:
// TLS 1.2 at least, and for 1.2 only AEAD suites with forward secrecy.
// TLS 1.3 suites are not configurable and are all sound.
func newTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
}

// fingerprint returns the SHA-256 of der as upper-case hex pairs joined by ':'.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// LoadOrCreateSelfSigned returns the self-signed certificate kept in
// dataDir/tls (cert.pem, and key.pem with mode 0600 in a 0700 directory).
// A certificate is generated when either file is absent, or when the stored
// one has expired or expires within seven days of now. A file that is present
// but cannot be read or parsed is an error: it is never silently replaced.
func LoadOrCreateSelfSigned(dataDir string, now time.Time) (tls.Certificate, error) {
	if dataDir == "" {
		return tls.Certificate{}, errors.New("self-signed certificate: no data directory configured")
	}
	dir := filepath.Join(dataDir, "tls")
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")

	cert, err := loadKeyPair(certPath, keyPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Absent (or half-written by an interrupted start): generate below.
	case err != nil:
		return tls.Certificate{}, err
	case now.Add(selfSignedRenewal).Before(cert.Leaf.NotAfter):
		return cert, nil
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, fmt.Errorf("create TLS directory %s: %w", dir, err)
	}
	certPEM, keyPEM, err := generateSelfSigned(now)
	if err != nil {
		return tls.Certificate{}, err
	}
	// The key goes first: a crash in between leaves no certificate, and the
	// pair is generated again on the next start.
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, fmt.Errorf("write TLS key in %s: %w", dir, err)
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return tls.Certificate{}, fmt.Errorf("write TLS certificate in %s: %w", dir, err)
	}
	return loadKeyPair(certPath, keyPath)
}

// loadKeyPair reads a PEM certificate and key. It returns an error matching
// fs.ErrNotExist only when a file is absent; anything else is a clear error.
func loadKeyPair(certPath, keyPath string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read TLS certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read TLS key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The tls error text never includes key material.
		return tls.Certificate{}, fmt.Errorf("TLS certificate %s or key %s is corrupt (%v); fix or remove them", certPath, keyPath, err)
	}
	if cert.Leaf == nil { // set by X509KeyPair unless GODEBUG x509keypairleaf=0
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("TLS certificate %s is corrupt (%v)", certPath, err)
		}
	}
	return cert, nil
}

// generateSelfSigned makes an ECDSA P-256 certificate for localhost,
// 127.0.0.1 and ::1, valid for a year from now.
func generateSelfSigned(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("generate certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Strongroom"}, CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create self-signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode TLS key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// writeFileAtomic writes data to a temporary file beside path with the given
// mode and renames it into place, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
