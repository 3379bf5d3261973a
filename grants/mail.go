package grants

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"strongroom"
)

// Mailer sends one plain-text message.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// SMTP sends mail through an SMTP server with STARTTLS (required), from
// smtp://user:pass@host:port. The password never appears in an error.
type SMTP struct {
	Host, Addr string
	From       string
	auth       smtp.Auth
	// TLS is the client's TLS configuration (nil: the host's name and the
	// system's roots); tests give their server's root.
	TLS     *tls.Config
	Timeout time.Duration
}

// NewSMTP reads an smtp:// URL and the sender's address.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, strongroom.FieldError("smtp-url", "Give the mail server as smtp://user:password@host:port.")
	}
	if !strings.Contains(from, "@") || strings.ContainsAny(from, "\r\n<>") {
		return nil, strongroom.FieldError("smtp-from", "Give the sender as an e-mail address.")
	}
	port := u.Port()
	if port == "" {
		port = "587"
	}
	m := &SMTP{Host: u.Hostname(), Addr: net.JoinHostPort(u.Hostname(), port), From: from, Timeout: 30 * time.Second}
	if u.User != nil {
		pass, _ := u.User.Password()
		m.auth = smtp.PlainAuth("", u.User.Username(), pass, u.Hostname())
	}
	return m, nil
}

// Send delivers one message to every address in to.
func (m *SMTP) Send(ctx context.Context, to []string, subject, body string) error {
	d := net.Dialer{Timeout: m.Timeout}
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("mail server %s: %w", m.Addr, err)
	}
	conn.SetDeadline(time.Now().Add(m.Timeout))
	c, err := smtp.NewClient(conn, m.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail server %s: %w", m.Addr, err)
	}
	defer c.Close()
	cfg := m.TLS
	if cfg == nil {
		cfg = &tls.Config{ServerName: m.Host, MinVersion: tls.VersionTLS12}
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return fmt.Errorf("mail server %s does not offer STARTTLS; refusing to send in the clear", m.Addr)
	}
	if err := c.StartTLS(cfg); err != nil {
		return fmt.Errorf("mail server %s: STARTTLS: %w", m.Addr, err)
	}
	if m.auth != nil {
		if err := c.Auth(m.auth); err != nil {
			return fmt.Errorf("mail server %s: authentication refused", m.Addr)
		}
	}
	if err := c.Mail(m.From); err != nil {
		return fmt.Errorf("mail server %s: MAIL: %w", m.Addr, err)
	}
	for _, rc := range to {
		if err := c.Rcpt(rc); err != nil {
			return fmt.Errorf("mail server %s: RCPT: %w", m.Addr, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail server %s: DATA: %w", m.Addr, err)
	}
	msg := "From: " + m.From + "\r\nTo: " + strings.Join(to, ", ") + "\r\nSubject: " + subject +
		"\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("mail server %s: %w", m.Addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail server %s: %w", m.Addr, err)
	}
	return c.Quit()
}
