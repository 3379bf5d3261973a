package documents

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
	"github.com/minio/sio"
)

// Bounds of text extraction for search. Extraction is best effort: a file
// whose text cannot be read within them is still stored, found by its
// title and description only.
const (
	maxTextBytes = 1 << 20  // indexed text of one version
	maxPDFBytes  = 20 << 20 // larger PDFs are not parsed at all
	maxPDFPages  = 2000
)

// textCapture keeps the first maxTextBytes written to it.
type textCapture struct{ buf []byte }

func (c *textCapture) Write(p []byte) (int, error) {
	if room := maxTextBytes - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// plainText returns the captured text when it is UTF-8 (a character cut
// at the end of the capture aside), else nothing.
func (c *textCapture) plainText() string {
	b := c.buf
	for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	if !utf8.Valid(b) {
		return ""
	}
	return cleanText(string(b))
}

// cleanText makes extracted text storable on both engines: valid UTF-8
// without NUL (PostgreSQL text refuses it), at most maxTextBytes.
func cleanText(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, " "), "\x00", " ")
	return truncateUTF8(s, maxTextBytes)
}

// extractText is the text search finds a stored file by, the same at
// upload and at re-extraction (reextract.go): a UTF-8 text file's first
// maxTextBytes as capture holds them, a PDF's text through the bounded
// parser, nothing for any other type. f is the encrypted file, fileKey its
// key and size its plaintext size.
func (s *Service) extractText(ctx context.Context, contentType string, capture *textCapture, f io.ReaderAt, fileKey []byte, size int64) string {
	switch {
	case isUTF8Text(contentType):
		return capture.plainText()
	case contentType == "application/pdf":
		return s.pdfText(ctx, f, fileKey, size)
	}
	return ""
}

// pdfText extracts the text of an encrypted PDF file of plaintext size
// size. The parser reads untrusted input: it runs with a recover, on at
// most maxPDFPages pages, and is abandoned after the timeout (it then fails
// on its next read, once the file is closed).
func (s *Service) pdfText(ctx context.Context, f io.ReaderAt, fileKey []byte, size int64) string {
	if size > maxPDFBytes {
		return ""
	}
	ra, err := sio.DecryptReaderAt(f, sioConfig(fileKey))
	if err != nil {
		return ""
	}
	done := make(chan string, 1)
	go func() { done <- parsePDF(ra, size) }()
	timer := time.NewTimer(s.ExtractTimeout)
	defer timer.Stop()
	select {
	case text := <-done:
		return text
	case <-timer.C:
		s.log.Warn("PDF text extraction timed out; the document is indexed without its text")
	case <-ctx.Done():
	}
	return ""
}

// parsePDF returns the text of a PDF, or nothing on any error or panic.
func parsePDF(ra io.ReaderAt, size int64) (text string) {
	defer func() {
		if recover() != nil {
			text = ""
		}
	}()
	r, err := pdf.NewReader(ra, size)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for i := 1; i <= min(r.NumPage(), maxPDFPages) && b.Len() < maxTextBytes; i++ {
		t, err := r.Page(i).GetPlainText(nil) // nil: the page's own fonts
		if err != nil {
			return ""
		}
		fmt.Fprintln(&b, t)
	}
	return cleanText(b.String())
}
