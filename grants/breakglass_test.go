package grants_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"strongroom/access"
	"strongroom/grants"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/store/storetest"
)

// mailbox is a real SMTP server on loopback: STARTTLS with a test
// certificate, PLAIN authentication, messages kept in memory.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail
}

type mail struct {
	from string
	to   []string
	data string
}

type session struct {
	box  *mailbox
	m    mail
	auth bool
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alerts" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *session) Reset()        { s.m = mail{} }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return errors.New("authenticate first")
	}
	s.m.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.m.to = append(s.m.to, to); return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.data = string(b)
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.m)
	s.box.mu.Unlock()
	return nil
}

// startSMTP serves a mailbox on 127.0.0.1 and returns the mailer that
// reaches it (trusting only the test certificate).
func startSMTP(t *testing.T) (*mailbox, *grants.SMTP) {
	t.Helper()
	// httptest's certificate is valid for 127.0.0.1; its client trusts it.
	hs := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(hs.Close)
	roots := hs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	box := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{box: box}, nil }))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: hs.TLS.Certificates}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	m, err := grants.NewSMTP("smtp://alerts:s3cret@"+l.Addr().String(), "strongroom@provider.example")
	if err != nil {
		t.Fatal(err)
	}
	m.TLS = &tls.Config{ServerName: "127.0.0.1", RootCAs: roots, MinVersion: tls.VersionTLS12}
	return box, m
}

func TestBreakGlassAlertsAdministrators(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		box, m := startSMTP(t)
		f.svc.Mail = m
		var adminRole int64
		roles, err := f.ids.ListRoles(f.ctx, f.h, f.admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if r.Name == access.AdministratorRole {
				adminRole = r.ID
			}
		}
		if _, _, err := f.ids.CreateUser(f.ctx, f.h, f.admin, identity.UserInput{Username: "ada", DisplayName: "Ada Admin",
			Email: "ada@firm.example", RoleIDs: []int64{adminRole}}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetApproval(f.ctx, f.h, f.admin, grants.Required); err != nil {
			t.Fatal(err)
		}
		g := f.file(grants.Request{Tenant: "firm", Reason: grants.BreakGlass, Ticket: "P1-OUTAGE", Duration: 30 * time.Minute})
		if g.State != grants.Active || f.active() == nil {
			t.Fatalf("break-glass not granted at once: %+v", g)
		}
		bg := f.events(f.h, "provider_access.break_glass")
		if len(bg) != 1 || bg[0].Details["review"] != "required" {
			t.Fatalf("break-glass event: %+v", bg)
		}
		ns, err := f.svc.Notices(f.ctx, f.h, f.admin, true)
		if err != nil || len(ns) != 1 || ns[0].GrantID != g.ID {
			t.Fatalf("notices: %+v %v", ns, err)
		}
		if staff, _ := f.svc.Notices(f.ctx, f.h, principal(2, access.StaffRole), true); len(staff) != 0 {
			t.Fatal("a non-administrator sees the notice")
		}
		box.mu.Lock()
		msgs := append([]mail(nil), box.msgs...)
		box.mu.Unlock()
		if len(msgs) != 1 || len(msgs[0].to) != 1 || msgs[0].to[0] != "ada@firm.example" ||
			!strings.Contains(msgs[0].data, "P1-OUTAGE") || !strings.Contains(msgs[0].data, "olga") {
			t.Fatalf("mail received: %+v", msgs)
		}
		if err := f.svc.Acknowledge(f.ctx, f.h, f.admin, ns[0].ID); err != nil {
			t.Fatal(err)
		}
		if ns, _ := f.svc.Notices(f.ctx, f.h, f.admin, true); len(ns) != 0 {
			t.Fatalf("acknowledged notice still shown: %+v", ns)
		}
		if len(f.events(f.h, "provider_access.acknowledged")) != 1 {
			t.Fatal("acknowledgement not audited")
		}
	})
}

func TestSMTPRefusesPlainText(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{box: &mailbox{}}, nil }))
	srv.Domain = "127.0.0.1"
	go srv.Serve(l)
	defer srv.Close()
	m, err := grants.NewSMTP("smtp://alerts:s3cret@"+l.Addr().String(), "strongroom@provider.example")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(t.Context(), []string{"ada@firm.example"}, "x", "y")
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("send without STARTTLS: %v", err)
	}
}
