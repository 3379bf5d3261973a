package totp

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/pquerna/otp"

	"strongroom"
)

func TestEnrol(t *testing.T) {
	e, err := Enrol("Dubois & Partners · Strongroom", "marguerite")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.URL, "+") || strings.Contains(e.URL, " ") {
		t.Errorf("URL has a space or a plus: apps want %%20")
	}
	u, err := url.Parse(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" {
		t.Errorf("URL %s is not otpauth://totp", u.Redacted())
	}
	if u.Path != "/Dubois & Partners · Strongroom:marguerite" {
		t.Errorf("label = %q", u.Path)
	}
	q := u.Query()
	want := map[string]string{
		"issuer": "Dubois & Partners · Strongroom", "secret": e.Secret,
		"algorithm": "SHA1", "digits": "6", "period": "30",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if !validSecret(e.Secret) || len(e.Secret) != 32 {
		t.Errorf("secret is %d characters, want 32 of base32", len(e.Secret))
	}
	img, err := png.Decode(bytes.NewReader(e.QRPNG))
	if err != nil {
		t.Fatalf("QR code is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("QR code is %dx%d, want 256x256", b.Dx(), b.Dy())
	}

	if !sameImage(img, qrOf(t, e.URL)) {
		t.Error("QR code does not hold the URL")
	}

	other, err := Enrol("Dubois & Partners · Strongroom", "marguerite")
	if err != nil {
		t.Fatal(err)
	}
	if other.Secret == e.Secret {
		t.Error("two enrolments share a secret")
	}
}

// qrOf draws text as a 256x256 QR code, the way the PNG should have been
// drawn; there is no QR decoder among the module's dependencies.
func qrOf(t *testing.T, text string) image.Image {
	t.Helper()
	b, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	if b, err = barcode.Scale(b, 256, 256); err != nil {
		t.Fatal(err)
	}
	return b
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if color.GrayModel.Convert(a.At(x, y)) != color.GrayModel.Convert(b.At(x, y)) {
				return false
			}
		}
	}
	return true
}

func TestEnrolRefuses(t *testing.T) {
	tests := []struct{ name, issuer, account, field string }{
		{"no issuer", "", "marguerite", "issuer"},
		{"blank issuer", "  ", "marguerite", "issuer"},
		{"no account", "Dubois · Strongroom", "", "account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Enrol(tt.issuer, tt.account)
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != tt.field {
				t.Errorf("err = %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
}

// TestEnrolEscaping checks that names with URL metacharacters come back
// whole from the URL, as an authenticator app reads it.
func TestEnrolEscaping(t *testing.T) {
	tests := []struct{ issuer, account, wantIssuer, wantAccount string }{
		{"Smith & Jones · Strongroom", "bob", "Smith & Jones · Strongroom", "bob"},
		{"A=B+C%D · Strongroom", "x?y#z/w", "A=B+C%D · Strongroom", "x?y#z/w"},
		{"Smith: Law · Strongroom", "bob:1", "Smith Law · Strongroom", "bob 1"},
		{"  Émile   Zola · Strongroom ", "zoë", "Émile Zola · Strongroom", "zoë"},
	}
	for _, tt := range tests {
		t.Run(tt.issuer, func(t *testing.T) {
			e, err := Enrol(tt.issuer, tt.account)
			if err != nil {
				t.Fatal(err)
			}
			k, err := otp.NewKeyFromURL(e.URL)
			if err != nil {
				t.Fatal(err)
			}
			if k.Issuer() != tt.wantIssuer || k.AccountName() != tt.wantAccount || k.Secret() != e.Secret {
				t.Errorf("URL reads issuer %q account %q; want %q, %q", k.Issuer(), k.AccountName(), tt.wantIssuer, tt.wantAccount)
			}
			u, _ := url.Parse(e.URL)
			if u.Query().Get("issuer") != tt.wantIssuer {
				t.Errorf("issuer parameter %q", u.Query().Get("issuer"))
			}
		})
	}
}

// secret is RFC 6238's SHA-1 test key, "12345678901234567890", in base32.
const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestCodeAtRFC6238(t *testing.T) {
	// RFC 6238 appendix B, SHA-1, last six of the eight digits.
	for unix, want := range map[int64]string{
		59: "287082", 1111111109: "081804", 1111111111: "050471",
		1234567890: "005924", 2000000000: "279037", 20000000000: "353130",
	} {
		got, err := CodeAt(secret, time.Unix(unix, 0))
		if err != nil || got != want {
			t.Errorf("CodeAt(%d) = %q, %v, want %q", unix, got, err, want)
		}
	}
	if _, err := CodeAt("not base32!", time.Now()); err == nil {
		t.Error("CodeAt accepted a bad secret")
	}
	if _, err := CodeAt("", time.Now()); err == nil {
		t.Error("CodeAt accepted an empty secret")
	}
}

func TestValidate(t *testing.T) {
	now := time.Unix(1_700_000_015, 0) // mid-step
	step := now.Unix() / Period
	codeAt := func(offset int64) string {
		c, err := CodeAt(secret, time.Unix((step+offset)*Period, 0))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		secret   string
		code     string
		lastStep int64
		wantStep int64 // 0: refused
	}{
		{"current", secret, codeAt(0), 0, step},
		{"previous", secret, codeAt(-1), 0, step - 1},
		{"next", secret, codeAt(1), 0, step + 1},
		{"two back", secret, codeAt(-2), 0, 0},
		{"two ahead", secret, codeAt(2), 0, 0},
		{"replay", secret, codeAt(0), step, 0},
		{"after a later code", secret, codeAt(-1), step, 0},
		{"after an earlier code", secret, codeAt(0), step - 1, step},
		{"with a space", secret, codeAt(0)[:3] + " " + codeAt(0)[3:], 0, step},
		{"lower-case secret", strings.ToLower(secret), codeAt(0), 0, step},
		{"padded secret", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", codeAt(0), 0, step},
		{"empty", secret, "", 0, 0},
		{"five digits", secret, codeAt(0)[:5], 0, 0},
		{"seven digits", secret, codeAt(0) + "0", 0, 0},
		{"letters", secret, "12a456", 0, 0},
		{"hyphen", secret, codeAt(0)[:3] + "-" + codeAt(0)[3:], 0, 0},
		{"full-width digits", secret, "１２３４５６", 0, 0},
		{"wrong secret", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", codeAt(0), 0, 0},
		{"empty secret", "", codeAt(0), 0, 0},
		{"short secret", "JBSWY3DPEHPK3PXP", codeAt(0), 0, 0},
		{"bad secret", "not base32!", codeAt(0), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Validate(tt.secret, tt.code, now, tt.lastStep)
			if ok != (tt.wantStep != 0) || got != tt.wantStep {
				t.Errorf("Validate = %d, %v, want %d, %v", got, ok, tt.wantStep, tt.wantStep != 0)
			}
		})
	}
}

func TestValidateNoReplay(t *testing.T) {
	e, err := Enrol("Dubois · Strongroom", "marguerite")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	code, err := CodeAt(e.Secret, now)
	if err != nil {
		t.Fatal(err)
	}
	step, ok := Validate(e.Secret, code, now, 0)
	if !ok {
		t.Fatal("fresh code refused")
	}
	if _, ok := Validate(e.Secret, code, now, step); ok {
		t.Error("code accepted twice")
	}
	if _, ok := Validate(e.Secret, code, now.Add(10*time.Second), step); ok {
		t.Error("code accepted twice, later")
	}
	next, _ := CodeAt(e.Secret, now.Add(Period*time.Second))
	if s, ok := Validate(e.Secret, next, now.Add(Period*time.Second), step); !ok || s != step+1 {
		t.Errorf("next step's code: %d, %v", s, ok)
	}
}

func FuzzValidate(f *testing.F) {
	f.Add(secret, "287082", int64(59), int64(0))
	f.Add("", "", int64(0), int64(0))
	f.Add("gezdgnbvgy3tqojq====", "12 34 56", int64(-1), int64(-5))
	f.Add("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "000000", int64(1<<62), int64(1<<62))
	f.Fuzz(func(t *testing.T, secret, code string, unix, lastStep int64) {
		step, ok := Validate(secret, code, time.Unix(unix, 0), lastStep)
		if ok && step <= lastStep {
			t.Fatalf("step %d accepted at or before lastStep %d", step, lastStep)
		}
		if !ok && step != 0 {
			t.Fatalf("step %d with a refusal", step)
		}
	})
}
