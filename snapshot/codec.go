package snapshot

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"strongroom"
)

// The stream, byte for byte:
//
//	magic            "STRONGROOM-SNAPSHOT\n"
//	format           uvarint (Format)
//	frames …         uvarint n (1 ≤ n ≤ maxFrame), n bytes of records, CRC-32C of them (4 bytes, little endian)
//
// The format number stands outside the frames so that a reader can refuse a
// newer format before it tries to parse anything of it. Records never span
// frames; each starts with a tag:
//
//	'H' header       schema version uvarint, engine, kind ("data"|"keys"), slug (strings)
//	'T' table        name, column count uvarint, column names (sorted)
//	'R' row          one value per column
//	'E' table end    row count uvarint
//	'Z' stream end   table count uvarint; nothing may follow this frame
//
// A string is a uvarint length and its bytes. A value is a type byte and
// its bytes: null, int (zig-zag varint), float (IEEE 754, 8 bytes LE),
// text and bytes (length-prefixed), false, true.
//
// Why binary rather than JSON lines: the audit tables are mostly bytes
// (bodies, hashes, sealed keys) that JSON would carry as base64, a third
// larger and slower both ways; JSON numbers lose int64 precision in many
// readers and cannot tell text from bytes. The outer layers compress and
// encrypt; the frames' checksums catch damage where they do not, and a
// frame is parsed from memory rather than byte by byte from the reader.
const magic = "STRONGROOM-SNAPSHOT\n"

const (
	tagHeader = 'H'
	tagTable  = 'T'
	tagRow    = 'R'
	tagEnd    = 'E'
	tagStream = 'Z'
)

const (
	valNull  = 0
	valInt   = 1
	valFloat = 2
	valText  = 3
	valBytes = 4
	valFalse = 5
	valTrue  = 6
)

const (
	// frameTarget is the size a frame is closed at; maxFrame bounds what a
	// reader accepts (one row may be larger than frameTarget).
	frameTarget = 64 << 10
	maxFrame    = 64 << 20
	maxColumns  = 1000
	maxName     = 256
	maxTables   = 10000
	// readChunk is how much a reader allocates ahead of the bytes that
	// actually arrive, so that a hostile length costs no more memory than
	// the stream really holds.
	readChunk = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encoder writes records into frames.
type encoder struct {
	w     *bufio.Writer
	frame []byte
	n     int64 // bytes written to w
}

func newEncoder(w io.Writer) (*encoder, error) {
	e := &encoder{w: bufio.NewWriterSize(w, 256<<10), frame: make([]byte, 0, frameTarget+4096)}
	hdr := binary.AppendUvarint([]byte(magic), Format)
	if _, err := e.w.Write(hdr); err != nil {
		return nil, writeError(err)
	}
	e.n += int64(len(hdr))
	return e, nil
}

// endRecord closes the frame once it has grown past its target size.
func (e *encoder) endRecord() error {
	if len(e.frame) < frameTarget {
		return nil
	}
	return e.flushFrame()
}

func (e *encoder) flushFrame() error {
	if len(e.frame) == 0 {
		return nil
	}
	if len(e.frame) > maxFrame {
		return strongroom.Errorf(strongroom.EINVALID, "A row is larger than a snapshot can hold (%d MiB).", maxFrame>>20)
	}
	var pre [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(pre[:], uint64(len(e.frame)))
	e.frame = binary.LittleEndian.AppendUint32(e.frame, crc32.Checksum(e.frame, castagnoli))
	if _, err := e.w.Write(pre[:n]); err != nil {
		return writeError(err)
	}
	if _, err := e.w.Write(e.frame); err != nil {
		return writeError(err)
	}
	e.n += int64(n + len(e.frame))
	e.frame = e.frame[:0]
	return nil
}

// close writes the last frame and flushes.
func (e *encoder) close() error {
	if err := e.flushFrame(); err != nil {
		return err
	}
	return writeError(e.w.Flush())
}

func writeError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("write snapshot: %w", err)
}

func (e *encoder) uvarint(v uint64) { e.frame = binary.AppendUvarint(e.frame, v) }

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.frame = append(e.frame, s...)
}

func (e *encoder) header(h header) {
	e.frame = append(e.frame, tagHeader)
	e.uvarint(uint64(h.schema))
	e.str(h.engine)
	e.str(h.kind)
	e.str(h.slug)
}

func (e *encoder) table(name string, cols []string) {
	e.frame = append(e.frame, tagTable)
	e.str(name)
	e.uvarint(uint64(len(cols)))
	for _, c := range cols {
		e.str(c)
	}
}

func (e *encoder) tableEnd(rows int64) {
	e.frame = append(e.frame, tagEnd)
	e.uvarint(uint64(rows))
}

func (e *encoder) streamEnd(tables int) {
	e.frame = append(e.frame, tagStream)
	e.uvarint(uint64(tables))
}

// row encodes one row as the driver returned it.
func (e *encoder) row(vals []any) error {
	e.frame = append(e.frame, tagRow)
	for _, v := range vals {
		if err := e.value(v); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) value(v any) error {
	f := e.frame
	switch x := v.(type) {
	case nil:
		f = append(f, valNull)
	case int64:
		f = binary.AppendVarint(append(f, valInt), x)
	case int32:
		f = binary.AppendVarint(append(f, valInt), int64(x))
	case int:
		f = binary.AppendVarint(append(f, valInt), int64(x))
	case float64:
		f = binary.LittleEndian.AppendUint64(append(f, valFloat), math.Float64bits(x))
	case float32:
		f = binary.LittleEndian.AppendUint64(append(f, valFloat), math.Float64bits(float64(x)))
	case bool:
		if x {
			f = append(f, valTrue)
		} else {
			f = append(f, valFalse)
		}
	case string:
		f = append(binary.AppendUvarint(append(f, valText), uint64(len(x))), x...)
	case []byte: // an empty BLOB comes back from SQLite as a nil []byte: still bytes, not NULL
		f = append(binary.AppendUvarint(append(f, valBytes), uint64(len(x))), x...)
	case time.Time:
		s := x.UTC().Format(time.RFC3339Nano)
		f = append(binary.AppendUvarint(append(f, valText), uint64(len(s))), s...)
	default:
		return fmt.Errorf("snapshot: a column holds a %T, which the format has no type for", v)
	}
	e.frame = f
	return nil
}

// header is what the 'H' record holds.
type header struct {
	schema int
	engine string
	kind   string
	slug   string
}

// decoder reads frames and the records in them. Every error it returns
// for bad input is EINVALID, naming what was wrong; none panics, and none
// allocates much more than the stream actually holds.
type decoder struct {
	src    *countingReader
	r      *bufio.Reader
	frame  []byte
	pos    int
	frames int
	format int // of the stream
}

// errDamaged is the message of every error about a stream's bytes.
func damaged(format string, args ...any) error {
	return strongroom.FieldError("snapshot", "The snapshot is damaged or not a snapshot: "+format+".", args...)
}

// newDecoder reads the magic and the format number, refusing a newer format.
func newDecoder(r io.Reader) (*decoder, error) {
	src := &countingReader{r: r}
	d := &decoder{src: src, r: bufio.NewReaderSize(src, 256<<10)}
	var m [len(magic)]byte
	if _, err := io.ReadFull(d.r, m[:]); err != nil {
		return nil, d.readError(err, "it is too short to hold a header")
	}
	if string(m[:]) != magic {
		return nil, damaged("it does not start as a Strongroom snapshot does")
	}
	f, err := binary.ReadUvarint(d.r)
	if err != nil {
		return nil, d.readError(err, "its format number is cut short")
	}
	if f > Format {
		return nil, strongroom.FieldError("snapshot", "The snapshot is in format %d, newer than this strongroom reads (%d). Restore it with a newer strongroom.", f, Format)
	}
	if f == 0 {
		return nil, damaged("its format number is 0")
	}
	d.format = int(f)
	return d, nil
}

// countingReader counts what its reader gave.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// consumed is how many bytes of the stream the decoder has used.
func (d *decoder) consumed() int64 { return d.src.n - int64(d.r.Buffered()) }

// readError turns a failed read into an answer: a stream that ends early
// is damaged; any other failure is the reader's, passed on.
func (d *decoder) readError(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return damaged("%s", what)
	}
	return fmt.Errorf("read snapshot: %w", err)
}

// nextFrame reads the next frame whole and checks its checksum.
func (d *decoder) nextFrame() error {
	n, err := binary.ReadUvarint(d.r)
	if err != nil {
		return d.readError(err, "it ends before its last record")
	}
	if n == 0 || n > maxFrame {
		return damaged("frame %d claims %d bytes", d.frames+1, n)
	}
	d.frames++
	d.frame = d.frame[:0]
	for remaining := int(n) + 4; remaining > 0; {
		k := min(remaining, readChunk)
		start := len(d.frame)
		d.frame = slices.Grow(d.frame, k)[:start+k]
		if _, err := io.ReadFull(d.r, d.frame[start:]); err != nil {
			return d.readError(err, fmt.Sprintf("frame %d is cut short", d.frames))
		}
		remaining -= k
	}
	body, sum := d.frame[:n], binary.LittleEndian.Uint32(d.frame[n:])
	if crc32.Checksum(body, castagnoli) != sum {
		return damaged("frame %d fails its checksum", d.frames)
	}
	d.frame, d.pos = body, 0
	return nil
}

// tag returns the tag of the next record, reading a frame when the last
// one is used up.
func (d *decoder) tag() (byte, error) {
	if d.pos >= len(d.frame) {
		if err := d.nextFrame(); err != nil {
			return 0, err
		}
	}
	t := d.frame[d.pos]
	d.pos++
	return t, nil
}

// atEOF checks that nothing follows the last frame.
func (d *decoder) atEOF() error {
	if d.pos < len(d.frame) {
		return damaged("bytes follow its end record")
	}
	if _, err := d.r.ReadByte(); err == nil {
		return damaged("bytes follow its end record")
	} else if !errors.Is(err, io.EOF) {
		return fmt.Errorf("read snapshot: %w", err)
	}
	return nil
}

func (d *decoder) short(what string) error {
	return damaged("frame %d ends inside %s", d.frames, what)
}

func (d *decoder) uvarint(what string) (uint64, error) {
	v, n := binary.Uvarint(d.frame[d.pos:])
	if n <= 0 {
		return 0, d.short(what)
	}
	d.pos += n
	return v, nil
}

func (d *decoder) bytes(what string, max uint64) ([]byte, error) {
	n, err := d.uvarint(what)
	if err != nil {
		return nil, err
	}
	if n > max || n > uint64(len(d.frame)-d.pos) {
		return nil, d.short(what)
	}
	b := d.frame[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

// name reads a table or column name: short, printable ASCII words.
func (d *decoder) name(what string) (string, error) {
	b, err := d.bytes(what, maxName)
	if err != nil {
		return "", err
	}
	if len(b) == 0 || !isIdent(b) {
		return "", damaged("a %s is not a plain name", what)
	}
	return string(b), nil
}

func isIdent(b []byte) bool {
	for _, c := range b {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (d *decoder) header() (header, error) {
	var h header
	v, err := d.uvarint("the header")
	if err != nil {
		return h, err
	}
	if v > math.MaxInt32 {
		return h, damaged("its schema version is %d", v)
	}
	h.schema = int(v)
	for _, p := range []*string{&h.engine, &h.kind, &h.slug} {
		b, err := d.bytes("the header", maxName)
		if err != nil {
			return h, err
		}
		if !utf8.Valid(b) {
			return h, damaged("its header is not text")
		}
		*p = string(b)
	}
	return h, nil
}

// table reads a table record: its name and columns.
func (d *decoder) table() (string, []string, error) {
	name, err := d.name("table name")
	if err != nil {
		return "", nil, err
	}
	n, err := d.uvarint("a column count")
	if err != nil {
		return "", nil, err
	}
	if n == 0 || n > maxColumns {
		return "", nil, damaged("table %s claims %d columns", name, n)
	}
	cols := make([]string, n)
	for i := range cols {
		if cols[i], err = d.name("column name"); err != nil {
			return "", nil, err
		}
		if i > 0 && cols[i] <= cols[i-1] {
			return "", nil, damaged("the columns of table %s are not in order", name)
		}
	}
	return name, cols, nil
}

// row reads one value per column into dst (len(dst) columns).
func (d *decoder) row(dst []any) error {
	for i := range dst {
		if d.pos >= len(d.frame) {
			return d.short("a row")
		}
		t := d.frame[d.pos]
		d.pos++
		switch t {
		case valNull:
			dst[i] = nil
		case valInt:
			v, n := binary.Varint(d.frame[d.pos:])
			if n <= 0 {
				return d.short("a row")
			}
			d.pos += n
			dst[i] = v
		case valFloat:
			if len(d.frame)-d.pos < 8 {
				return d.short("a row")
			}
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(d.frame[d.pos:]))
			d.pos += 8
		case valText, valBytes:
			b, err := d.bytes("a row", maxFrame)
			if err != nil {
				return err
			}
			if t == valText {
				dst[i] = string(b)
			} else {
				dst[i] = append(make([]byte, 0, len(b)), b...) // never nil: an empty BLOB is not NULL
			}
		case valFalse, valTrue:
			dst[i] = t == valTrue
		default:
			return damaged("a value has the unknown type %d", t)
		}
	}
	return nil
}
