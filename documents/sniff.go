package documents

import (
	"bytes"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// sniffLen is how much of a file decides its type (what
// http.DetectContentType looks at).
const sniffLen = 512

// keptTypes are the detected media types recorded as they are; any other
// content is recorded as application/octet-stream. Downloads are always
// attachments with nosniff, so the type is a hint for the user's system,
// never a reason for a browser to render anything.
var keptTypes = map[string]bool{
	"application/pdf": true, "text/plain": true, "text/html": true, "text/xml": true,
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/bmp": true,
	"application/zip": true, "application/x-gzip": true,
	"audio/mpeg": true, "audio/wave": true, "video/mp4": true, "video/webm": true,
}

// containerTypes refine a detected container format by the file name's
// extension: office files are ZIP (OOXML) or OLE compound files, which
// content alone does not tell apart. The extension only picks among the
// formats of the container the content really is.
var containerTypes = map[string]map[string]string{
	"application/zip": {
		".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		".odt":  "application/vnd.oasis.opendocument.text",
		".ods":  "application/vnd.oasis.opendocument.spreadsheet",
	},
	oleType: {
		".doc": "application/msword",
		".xls": "application/vnd.ms-excel",
		".ppt": "application/vnd.ms-powerpoint",
		".msg": "application/vnd.ms-outlook",
	},
	"text/plain": {
		".csv": "text/csv; charset=utf-8",
	},
}

// oleType is an OLE compound file (old Office formats, Outlook messages),
// which http.DetectContentType does not know.
const oleType = "application/x-ole-storage"

var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// sniff decides the content type of a file from its first bytes. The
// client's declared type is never consulted; the file name only refines a
// container format, as above.
func sniff(head []byte, filename string) string {
	detected := http.DetectContentType(head)
	if bytes.HasPrefix(head, oleMagic) {
		detected = oleType
	}
	mt, params, err := mime.ParseMediaType(detected)
	if err != nil {
		return "application/octet-stream"
	}
	ext := strings.ToLower(path.Ext(filename))
	if refined, ok := containerTypes[mt][ext]; ok && (mt != "text/plain" || params["charset"] == "utf-8") {
		return refined
	}
	if !keptTypes[mt] {
		return "application/octet-stream"
	}
	return detected
}

// isUTF8Text reports whether a stored type is text in UTF-8, whose words
// can be indexed as they are.
func isUTF8Text(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "text/plain" || mt == "text/csv") && params["charset"] == "utf-8"
}

// maxFilename bounds a stored file name, in bytes.
const maxFilename = 200

// SanitizeFilename turns a name a client sent into one that is safe to
// store and to offer in a download: the last path element only, valid
// UTF-8, no control or invisible formatting characters (which can disguise
// an extension), none of the characters file systems reserve, no leading or
// trailing dots or spaces, at most 200 bytes with the extension kept, and
// never empty. The result is stable: sanitising it again changes nothing.
func SanitizeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r),
			unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r), strings.ContainsRune(`"*:<>?|/\`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, strings.ToValidUTF8(name, "_"))
	name = trimName(name)
	if len(name) > maxFilename {
		ext := path.Ext(name)
		if len(ext) > 20 || strings.ContainsRune(ext, ' ') {
			ext = ""
		}
		stem := truncateUTF8(strings.TrimSuffix(name, ext), maxFilename-len(ext))
		name = trimName(stem) + ext
		if len(name) > maxFilename { // the trimmed stem was all of it
			name = truncateUTF8(name, maxFilename)
		}
		name = trimName(name)
	}
	if name == "" {
		return "document"
	}
	return name
}

// trimName drops the dots and spaces that hide a file or vanish on Windows.
func trimName(s string) string { return strings.Trim(s, ". ") }

// truncateUTF8 cuts s to at most n bytes on a character boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
