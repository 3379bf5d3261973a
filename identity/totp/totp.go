// Package totp is the second factor of a sign-in: time-based one-time codes
// (RFC 6238) from an authenticator app, and one-time recovery codes for a
// user who has lost the phone. It uses github.com/pquerna/otp.
//
// Nothing in this package puts a secret or a code in an error.
package totp

import (
	"bytes"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"strongroom"
)

// The code parameters every authenticator app supports.
const (
	Period     = 30 // seconds per step
	Digits     = 6
	secretSize = 20 // bytes: 160 bits, as RFC 4226 recommends
	minSecret  = 16 // bytes: RFC 4226's minimum of 128 bits
	qrSize     = 256
)

var algorithm = otp.AlgorithmSHA1

// Enrolment is what a user needs to add Strongroom to an authenticator app.
// Secret is the base32 shared secret, to be stored encrypted; URL is the
// otpauth:// URL that the QR code holds; QRPNG is that QR code as a PNG.
type Enrolment struct {
	Secret string
	URL    string
	QRPNG  []byte
}

// Enrol makes a new random secret for account (the user name) under issuer
// (the tenant's display name followed by " · Strongroom"), with SHA-1, six
// digits and a 30-second period. Colons, which would break the otpauth
// label, become spaces, and runs of spaces one.
func Enrol(issuer, account string) (*Enrolment, error) {
	issuer, account = labelPart(issuer), labelPart(account)
	if issuer == "" {
		return nil, strongroom.FieldError("issuer", "Issuer is required.")
	}
	if account == "" {
		return nil, strongroom.FieldError("account", "Account name is required.")
	}
	gen, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      Period,
		SecretSize:  secretSize,
		Digits:      otp.DigitsSix,
		Algorithm:   algorithm,
	})
	if err != nil {
		return nil, fmt.Errorf("totp enrol: %w", err)
	}
	return enrolment(issuer, account, gen.Secret())
}

// Pending returns the enrolment of a secret already made by Enrol and
// not yet confirmed, so that a user who typed a wrong first code is shown
// the same QR code again rather than a new one their app does not hold.
func Pending(issuer, account, secret string) (*Enrolment, error) {
	if !validSecret(secret) {
		return nil, fmt.Errorf("totp pending: %w", otp.ErrValidateSecretInvalidBase32)
	}
	return enrolment(labelPart(issuer), labelPart(account), secret)
}

// enrolment builds the otpauth:// URL and QR code of a secret.
func enrolment(issuer, account, secret string) (*Enrolment, error) {
	// pquerna/otp v1.5.0 escapes query values with url.PathEscape, which
	// leaves "&", "=" and "+" as they are: a tenant named "Smith & Jones"
	// would cut the issuer short. Build the URL again, escaped properly.
	key, err := otp.NewKeyFromURL(keyURL(issuer, account, secret))
	if err != nil {
		return nil, fmt.Errorf("totp enrol: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("totp enrol: qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("totp enrol: png: %w", err)
	}
	return &Enrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

// Validate checks code against secret at time now. It accepts the code of
// the current step or of one step either side (clock skew), but never of a
// step at or before lastStep, so that a code is not accepted twice. On
// success it returns the step that matched, to be stored as the new
// lastStep (0 means none yet). Spaces in code are ignored ("123 456"); any
// other character but a digit, or another length, is refused. A secret that
// is not base32 or shorter than 128 bits matches nothing.
func Validate(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != Digits || strings.IndexFunc(code, notDigit) >= 0 {
		return 0, false
	}
	if !validSecret(secret) {
		return 0, false
	}
	if now.Unix() < 0 {
		return 0, false
	}
	cur := now.Unix() / Period
	// Try every step, so the time taken says nothing about which matched;
	// keep the earliest match after lastStep.
	for s := cur + 1; s >= cur-1; s-- {
		if s <= lastStep || s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: algorithm})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

// CodeAt returns the code an authenticator app shows for secret at time t.
// It is for tests, including the browser test, which sign in as a person
// with a phone would.
func CodeAt(secret string, t time.Time) (string, error) {
	if !validSecret(secret) {
		return "", fmt.Errorf("totp code: %w", otp.ErrValidateSecretInvalidBase32)
	}
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: Period, Digits: otp.DigitsSix, Algorithm: algorithm})
}

// validSecret reports whether secret reads as base32 (in either case, with
// or without padding, as hotp accepts it) of at least minSecret bytes.
func validSecret(secret string) bool {
	s := strings.ToUpper(strings.TrimSpace(secret))
	s = strings.TrimRight(s, "=")
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	return err == nil && len(b) >= minSecret
}

// keyURL returns the otpauth:// URL of a key, in the format authenticator
// apps read (github.com/google/google-authenticator/wiki/Key-Uri-Format):
// the label "issuer:account" in the path, the parameters in the query, and
// spaces as %20 in both.
func keyURL(issuer, account, secret string) string {
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account}
	var q strings.Builder
	for i, kv := range [][2]string{
		{"secret", secret}, {"issuer", issuer}, {"algorithm", algorithm.String()},
		{"digits", otp.DigitsSix.String()}, {"period", strconv.Itoa(Period)},
	} {
		if i > 0 {
			q.WriteByte('&')
		}
		q.WriteString(kv[0] + "=" + strings.ReplaceAll(url.QueryEscape(kv[1]), "+", "%20"))
	}
	u.RawQuery = q.String()
	return u.String()
}

func labelPart(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, ":", " ")), " ")
}

func notDigit(r rune) bool { return r < '0' || r > '9' }
