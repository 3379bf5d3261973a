// Package passkeytest is a software WebAuthn authenticator for tests: it
// answers registration and sign-in options as a platform authenticator
// would, with a P-256 key per credential, so that tests can run the real
// ceremonies without a browser, and forge what a browser never would (a
// wrong origin, a wrong relying party, a counter that goes backwards).
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator holds credentials, as a phone or a security key does.
type Authenticator struct {
	Creds []*Credential
	// Origin is what the "browser" reports as the page's origin; RPID
	// overrides the relying party the authenticator signs for (both empty:
	// what the options ask).
	Origin, RPID string
}

// Credential is one passkey of the authenticator.
type Credential struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	Key        *ecdsa.PrivateKey
	Count      uint32
}

type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

func parse(opts any) (*options, error) {
	raw, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	var o options
	return &o, json.Unmarshal(raw, &o)
}

var b64 = base64.RawURLEncoding

func decode(s string) []byte {
	b, err := b64.DecodeString(s)
	if err != nil {
		b, _ = base64.URLEncoding.DecodeString(s)
	}
	return b
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	cd, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return cd
}

// Register answers registration options (protocol.CredentialCreation) with
// a new credential and returns the browser's JSON answer.
func (a *Authenticator) Register(opts any) ([]byte, *Credential, error) {
	o, err := parse(opts)
	if err != nil {
		return nil, nil, err
	}
	rpID := o.PublicKey.RP.ID
	if a.RPID != "" {
		rpID = a.RPID
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	c := &Credential{ID: make([]byte, 32), RPID: rpID, UserHandle: decode(o.PublicKey.User.ID), Key: key}
	rand.Read(c.ID)
	pub, err := key.PublicKey.Bytes() // 0x04 | X | Y
	if err != nil {
		return nil, nil, err
	}
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:]})
	if err != nil {
		return nil, nil, err
	}
	rpHash := sha256.Sum256([]byte(rpID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, 0x01|0x04|0x40) // user present, user verified, attested credential data
	auth = binary.BigEndian.AppendUint32(auth, c.Count)
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(c.ID)))
	auth = append(auth, c.ID...)
	auth = append(auth, cose...)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, nil, err
	}
	body, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
	if err != nil {
		return nil, nil, err
	}
	a.Creds = append(a.Creds, c)
	return body, c, nil
}

// Assert answers sign-in options (protocol.CredentialAssertion) with the
// credential c (nil: the first one the options allow, or the first held)
// and returns the browser's JSON answer. The counter goes up by one first.
func (a *Authenticator) Assert(opts any, c *Credential) ([]byte, error) {
	o, err := parse(opts)
	if err != nil {
		return nil, err
	}
	if c == nil {
		c = a.pick(o)
	}
	if c == nil {
		return nil, fmt.Errorf("passkeytest: no credential for these options")
	}
	rpID := o.PublicKey.RPID
	if a.RPID != "" {
		rpID = a.RPID
	}
	c.Count++
	return a.sign(c, rpID, o.PublicKey.Challenge, c.Count)
}

// AssertWithCount is Assert with the signature counter the answer reports,
// leaving the credential's own counter as it is.
func (a *Authenticator) AssertWithCount(opts any, c *Credential, count uint32) ([]byte, error) {
	o, err := parse(opts)
	if err != nil {
		return nil, err
	}
	return a.sign(c, o.PublicKey.RPID, o.PublicKey.Challenge, count)
}

func (a *Authenticator) pick(o *options) *Credential {
	for _, allowed := range o.PublicKey.AllowCredentials {
		for _, c := range a.Creds {
			if b64.EncodeToString(c.ID) == b64.EncodeToString(decode(allowed.ID)) {
				return c
			}
		}
	}
	if len(a.Creds) > 0 {
		return a.Creds[0]
	}
	return nil
}

func (a *Authenticator) sign(c *Credential, rpID, challenge string, count uint32) ([]byte, error) {
	rpHash := sha256.Sum256([]byte(rpID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, 0x01|0x04) // user present, user verified
	auth = binary.BigEndian.AppendUint32(auth, count)
	cd := a.clientData("webauthn.get", challenge)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.UserHandle),
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
}
