package snapshot

import (
	"bytes"
	"context"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"

	"strongroom"
	"strongroom/store"
	"strongroom/store/storetest"
)

// build writes a stream by hand: the header, then what fn encodes.
func build(t testing.TB, schema int, kind string, fn func(e *encoder)) []byte {
	t.Helper()
	var buf bytes.Buffer
	e, err := newEncoder(&buf)
	if err != nil {
		t.Fatal(err)
	}
	e.header(header{schema: schema, engine: "sqlite", kind: kind, slug: "firm"})
	fn(e)
	if err := e.close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// oneTable encodes table with cols and one row of vals.
func oneTable(table string, cols []string, vals ...any) func(e *encoder) {
	return func(e *encoder) {
		e.table(table, cols)
		if err := e.row(vals); err != nil {
			panic(err)
		}
		e.tableEnd(1)
		e.streamEnd(1)
	}
}

func schemaOf(t *testing.T, db *store.DB) int {
	t.Helper()
	v, err := store.SchemaVersion(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantInvalid(t *testing.T, err error, words ...string) {
	t.Helper()
	if strongroom.ErrorCode(err) != strongroom.EINVALID {
		t.Fatalf("got %v, want EINVALID", err)
	}
	msg := strongroom.ErrorMessage(err)
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not say %q", msg, w)
		}
	}
}

func TestRefusesWhatItCannotLoad(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		db := target(t, e, "refuse")
		cur := schemaOf(t, db)
		setting := oneTable("security_settings", []string{"name", "value"}, "k", "v")
		load := func(b []byte) error { _, err := Import(ctx, db, bytes.NewReader(b)); return err }

		wantInvalid(t, load(build(t, cur+1, kindData, setting)), "schema version", "newer")
		newer := binary.AppendUvarint([]byte(magic), Format+1)
		newer = append(newer, build(t, cur, kindData, setting)[len(newer):]...)
		wantInvalid(t, load(newer), "format 2", "newer")
		wantInvalid(t, load(build(t, cur, kindData, oneTable("shoes", []string{"size"}, int64(9)))), "table shoes")
		wantInvalid(t, load(build(t, cur, kindData, oneTable("security_settings", []string{"name", "shoe_size", "value"}, "k", int64(1), "v"))),
			"column shoe_size", "security_settings")
		wantInvalid(t, load(build(t, cur, kindData, oneTable("security_settings", []string{"name"}, "k"))), "lacks the column value")
		wantInvalid(t, load(build(t, cur, kindData, oneTable("sessions", []string{"id_hash"}, "x"))), "sessions")
		wantInvalid(t, load(build(t, cur, kindData, oneTable("audit_subject_keys", []string{"subject_id"}, "x"))), "audit_subject_keys")
		wantInvalid(t, load(build(t, cur, kindData, func(e *encoder) {
			e.table("security_settings", []string{"name", "value"})
			_ = e.row([]any{"k", "v"})
			e.tableEnd(2)
			e.streamEnd(1)
		})), "counts 2 rows")
		wantInvalid(t, load(append(build(t, cur, kindData, setting), 0)), "follow")
		if rows := dump(t, db, "security_settings"); len(rows) != 0 {
			t.Fatalf("a refused stream left rows: %v", rows)
		}
		// The same stream at the database's own version loads: the
		// refusals above were for what they say.
		// A column with a default, or an id the database assigns, may be
		// missing (a snapshot of an older schema).
		if err := load(build(t, cur, kindData, func(e *encoder) {
			e.table("mdl_groups", []string{"code", "name"})
			_ = e.row([]any{"MDL-1", "One"})
			e.tableEnd(1)
			e.table("security_settings", []string{"name", "value"})
			_ = e.row([]any{"k", "v"})
			e.tableEnd(1)
			e.streamEnd(2)
		})); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCutOrDamagedStream(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		src := newSource(t, e, 3)
		stream, sum := exportT(t, src.h.DB)
		db := target(t, storeEngine(t, e), "firm")
		var cuts []int
		for i := 0; i < 40; i++ {
			cuts = append(cuts, i, len(stream)-1-i)
		}
		for i := 40; i < len(stream)-40; i += max(1, len(stream)/150) {
			cuts = append(cuts, i)
		}
		for _, n := range cuts {
			_, err := Import(ctx, db, bytes.NewReader(stream[:n]))
			if strongroom.ErrorCode(err) != strongroom.EINVALID {
				t.Fatalf("stream cut at %d of %d: %v", n, len(stream), err)
			}
		}
		for _, n := range cuts[:60] {
			bad := bytes.Clone(stream)
			bad[n] ^= 0x20
			if _, err := Import(ctx, db, bytes.NewReader(bad)); strongroom.ErrorCode(err) != strongroom.EINVALID {
				t.Fatalf("byte %d of %d changed: %v", n, len(stream), err)
			}
		}
		if rows := dump(t, db, "users"); len(rows) != 0 {
			t.Fatalf("failed imports left %d users", len(rows))
		}
		got, err := Import(ctx, db, bytes.NewReader(stream))
		if err != nil {
			t.Fatal(err)
		}
		if got.Bytes != int64(len(stream)) || got.Rows() != sum.Rows() {
			t.Fatalf("imported %+v, exported %+v", got, sum)
		}
	})
}

func TestVerify(t *testing.T) {
	src := newSource(t, storetest.NewSQLite(t), 3)
	stream, sum := exportT(t, src.h.DB)
	got, err := Verify(bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows() != sum.Rows() || got.Bytes != sum.Bytes || got.Slug != "firm" || len(got.Tables) != len(sum.Tables) {
		t.Fatalf("verify %+v, export %+v", got, sum)
	}
	for i := 0; i < len(stream); i += max(1, len(stream)/2000) {
		if _, err := Verify(bytes.NewReader(stream[:i])); strongroom.ErrorCode(err) != strongroom.EINVALID {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
}

// A length that claims more than the stream holds costs no more memory
// than the stream: a frame claiming 64 MiB, a value claiming 2^60 bytes.
func TestHostileLengths(t *testing.T) {
	frame := binary.AppendUvarint([]byte(magic), Format)
	frame = binary.AppendUvarint(frame, maxFrame)
	frame = append(frame, "H tiny"...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Verify(bytes.NewReader(frame))
	runtime.ReadMemStats(&after)
	wantInvalid(t, err, "cut short")
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("a 64 MiB claim in %d bytes allocated %d bytes", len(frame), grew)
	}

	huge := build(t, 1, kindData, func(e *encoder) {
		e.table("t", []string{"a"})
		e.frame = append(e.frame, tagRow, valText)
		e.uvarint(1 << 60)
		e.frame = append(e.frame, "abc"...)
	})
	wantInvalid(t, func() error { _, err := Verify(bytes.NewReader(huge)); return err }(), "ends inside")

	cols := build(t, 1, kindData, func(e *encoder) {
		e.frame = append(e.frame, tagTable)
		e.str("t")
		e.uvarint(1 << 40)
	})
	wantInvalid(t, func() error { _, err := Verify(bytes.NewReader(cols)); return err }(), "columns")
}

func TestValuesRoundTripInTheCodec(t *testing.T) {
	//lint:ignore SA4026 the value is kept as written: it round-trips as zero
	vals := []any{nil, int64(-1 << 63), int64(1<<63 - 1), 0.1, -0.0, true, false, "", "ü\x00✓", []byte(nil), []byte{0, 255}}
	cols := make([]string, len(vals))
	for i := range cols {
		cols[i] = string(rune('a' + i))
	}
	stream := build(t, 1, kindData, oneTable("t", cols, vals...))
	dec, _, err := readHeader(bytes.NewReader(stream), kindData)
	if err != nil {
		t.Fatal(err)
	}
	if tag, _ := dec.tag(); tag != tagTable {
		t.Fatal("no table")
	}
	if _, _, err := dec.table(); err != nil {
		t.Fatal(err)
	}
	if tag, _ := dec.tag(); tag != tagRow {
		t.Fatal("no row")
	}
	got := make([]any, len(vals))
	if err := dec.row(got); err != nil {
		t.Fatal(err)
	}
	for i := range vals {
		if canonical(got[i]) != canonical(vals[i]) {
			t.Errorf("value %d: got %#v, want %#v", i, got[i], vals[i])
		}
	}
	if b, ok := got[9].([]byte); !ok || b == nil {
		t.Errorf("an empty BLOB came back as %#v, not as empty bytes", got[9])
	}
}
