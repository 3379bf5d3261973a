package identity

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"strongroom/tenancy"
)

// Device cookies keep a tenant's own people signing in while strangers
// are refused (OWASP, "Slow Down Online Guessing Attacks with Device
// Cookies"). Each full sign-in gives the browser a new device cookie; a
// later attempt that presents a valid one for the user name being tried is
// not charged against, nor refused by, the tenant's budget of failed
// sign-ins or the per-address throttle, so a flood of guesses from many
// addresses, or from the office's own address, does not lock the known
// browsers out. It still counts toward the account's lockout, and its own
// failures are counted against the cookie: after DeviceFailures of them the
// cookie is worth nothing until it regains one (one per DeviceWindow
// divided by DeviceFailures), so a stolen cookie buys a few guesses at one
// account, never a way around the budget.
//
// A cookie names no one: it holds a random nonce, an expiry and an HMAC of
// the tenant slug, the user name key, the nonce and the expiry under a key
// derived from the tenant's data key (never sent, never logged). It is
// valid only with the user name it was issued for, in the tenant that
// issued it, until it expires.
const (
	// DeviceLifetime is how long a device cookie stays valid.
	DeviceLifetime = 30 * 24 * time.Hour
	// DeviceFailures is how many failed sign-ins a device cookie may have
	// within DeviceWindow before it stops counting as a known browser.
	DeviceFailures = 5
	DeviceWindow   = 15 * time.Minute

	deviceVersion  = "d1"
	deviceNonceLen = 16 // bytes, 128 bits
	deviceMaxLen   = 128
)

// NewDeviceThrottle returns the throttle of failed sign-ins per device
// cookie, at the rate given above.
func NewDeviceThrottle() *Throttle {
	return NewThrottle(DeviceFailures, DeviceWindow/DeviceFailures)
}

// deviceKey derives the tenant's device-cookie key from its data key.
func deviceKey(h *tenancy.Handle) []byte {
	k, err := hkdf.Key(sha256.New, h.DataKey(), nil, "strongroom device cookie v1", 32)
	if err != nil {
		panic("hkdf: " + err.Error()) // only for lengths sha256 cannot give
	}
	return k
}

// deviceMAC signs the fields of a device cookie, each prefixed with its
// length so that no two lists of fields sign alike.
func deviceMAC(key []byte, slug, userKey, nonce, expires string) []byte {
	m := hmac.New(sha256.New, key)
	var b []byte
	for _, f := range []string{deviceVersion, slug, userKey, nonce, expires} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	m.Write(b)
	return m.Sum(nil)
}

// issueDevice returns a new device cookie for userKey in tenant slug.
func issueDevice(key []byte, slug, userKey string, now time.Time) (value string, expires time.Time) {
	expires = now.Add(DeviceLifetime).Truncate(time.Second)
	return formatDevice(key, slug, userKey, randomToken(deviceNonceLen), expires), expires
}

// formatDevice writes a device cookie: version, nonce, expiry (Unix
// seconds) and MAC, separated by dots.
func formatDevice(key []byte, slug, userKey, nonce string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	mac := base64.RawURLEncoding.EncodeToString(deviceMAC(key, slug, userKey, nonce, exp))
	return deviceVersion + "." + nonce + "." + exp + "." + mac
}

// checkDevice reports whether value is a device cookie issued for userKey
// in tenant slug that has not expired, and returns its nonce.
func checkDevice(key []byte, slug, userKey, value string, now time.Time) (nonce string, ok bool) {
	if value == "" || len(value) > deviceMaxLen {
		return "", false
	}
	parts := strings.Split(value, ".")
	if len(parts) != 4 || parts[0] != deviceVersion {
		return "", false
	}
	nonce, exp := parts[1], parts[2]
	mac, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil || !hmac.Equal(mac, deviceMAC(key, slug, userKey, nonce, exp)) {
		return "", false
	}
	at, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !now.Before(time.Unix(at, 0)) {
		return "", false
	}
	return nonce, true
}
