package snapshot

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzVerify feeds the decoder damaged and hostile streams: each must be
// an error or a stream that verifies again the same way, never a panic or
// a large allocation (the frame and value bounds).
func FuzzVerify(f *testing.F) {
	f.Add(build(f, 3, kindData, oneTable("users", []string{"id", "name", "photo"}, int64(1), "Ann", []byte{1, 2})))
	f.Add(build(f, 3, kindKeys, oneTable("audit_subject_keys", []string{"subject_id"}, "contact:1")))
	f.Add(build(f, 3, kindData, func(e *encoder) { e.streamEnd(0) }))
	f.Add(binary.AppendUvarint([]byte(magic), Format))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		sum, err := Verify(bytes.NewReader(b))
		if err != nil {
			return
		}
		again, err := Verify(bytes.NewReader(b))
		if err != nil || again.Rows() != sum.Rows() || again.Bytes != int64(len(b)) {
			t.Fatalf("verified once as %+v, then %+v, %v", sum, again, err)
		}
	})
}

// FuzzRecords puts the fuzzer's bytes into frames with right checksums
// behind a valid header, so that the record parser itself is reached.
func FuzzRecords(f *testing.F) {
	f.Add(recordsOf(f, oneTable("users", []string{"id", "name", "photo"}, int64(1), "Ann", []byte{1, 2})))
	f.Add(recordsOf(f, oneTable("t", []string{"a", "b", "c"}, nil, 1.5, true)))
	f.Add([]byte{tagStream, 0})
	f.Fuzz(func(t *testing.T, records []byte) {
		var buf bytes.Buffer
		e, err := newEncoder(&buf)
		if err != nil {
			t.Fatal(err)
		}
		e.header(header{schema: 3, engine: "postgres", kind: kindData})
		if err := e.flushFrame(); err != nil {
			t.Fatal(err)
		}
		for len(records) > 0 {
			n := min(len(records), 100)
			e.frame = append(e.frame, records[:n]...)
			records = records[n:]
			if err := e.flushFrame(); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.close(); err != nil {
			t.Fatal(err)
		}
		_, _ = Verify(bytes.NewReader(buf.Bytes()))
	})
}

// recordsOf returns the records fn encodes, without framing.
func recordsOf(f *testing.F, fn func(e *encoder)) []byte {
	e := &encoder{}
	fn(e)
	return e.frame
}
