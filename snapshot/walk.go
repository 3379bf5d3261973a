package snapshot

import (
	"context"
	"io"
)

// sink receives the tables of a stream as walk reads them.
type sink interface {
	// begin starts a table with the given columns (sorted, distinct).
	begin(ctx context.Context, name string, cols []string) error
	// slots returns where the next row's values go, one per column.
	slots() []any
	// rowDone is told that the values in slots are a complete row.
	rowDone(ctx context.Context, vals []any) error
	// end closes the table.
	end(ctx context.Context) error
}

// walk reads the records after the header to the end of the stream,
// checking every count, and hands the tables to s.
func walk(ctx context.Context, dec *decoder, s sink) ([]Table, error) {
	var out []Table
	seen := map[string]bool{}
	for {
		t, err := dec.tag()
		if err != nil {
			return nil, err
		}
		switch t {
		case tagTable:
			name, cols, err := dec.table()
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, damaged("table %s comes twice", name)
			}
			if seen[name] = true; len(seen) > maxTables {
				return nil, damaged("it claims more than %d tables", maxTables)
			}
			n, err := walkTable(ctx, dec, s, name, cols)
			if err != nil {
				return nil, err
			}
			out = append(out, Table{Name: name, Rows: n})
		case tagStream:
			n, err := dec.uvarint("the end record")
			if err != nil {
				return nil, err
			}
			if n != uint64(len(out)) {
				return nil, damaged("its end record counts %d tables, it holds %d", n, len(out))
			}
			return out, dec.atEOF()
		default:
			return nil, damaged("a record has the unknown tag %d where a table should begin", t)
		}
	}
}

func walkTable(ctx context.Context, dec *decoder, s sink, name string, cols []string) (int64, error) {
	if err := s.begin(ctx, name, cols); err != nil {
		return 0, err
	}
	var n int64
	for {
		t, err := dec.tag()
		if err != nil {
			return 0, err
		}
		switch t {
		case tagRow:
			vals := s.slots()
			if err := dec.row(vals); err != nil {
				return 0, err
			}
			if err := s.rowDone(ctx, vals); err != nil {
				return 0, err
			}
			n++
		case tagEnd:
			count, err := dec.uvarint("a table's end record")
			if err != nil {
				return 0, err
			}
			if count != uint64(n) {
				return 0, damaged("table %s counts %d rows, it holds %d", name, count, n)
			}
			return n, s.end(ctx)
		default:
			return 0, damaged("table %s has a record with the unknown tag %d", name, t)
		}
	}
}

// Verify reads a whole stream written by Export or ExportKeys without a
// database: its format, header, every frame's checksum and every count.
// A backup can be checked with it after download, before a restore.
func Verify(r io.Reader) (Summary, error) {
	dec, h, err := readHeader(r, "")
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Format: dec.format, SchemaVersion: h.schema, Engine: h.engine, Slug: h.slug}
	if sum.Tables, err = walk(context.Background(), dec, &discard{}); err != nil {
		return Summary{}, err
	}
	sum.Bytes = dec.consumed()
	return sum, nil
}

// discard is a sink that keeps nothing.
type discard struct{ vals []any }

func (d *discard) begin(_ context.Context, _ string, cols []string) error {
	d.vals = make([]any, len(cols))
	return nil
}
func (d *discard) slots() []any                         { return d.vals }
func (d *discard) rowDone(context.Context, []any) error { return nil }
func (d *discard) end(context.Context) error            { return nil }
