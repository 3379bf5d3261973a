// Package cases holds matters (cases) and the records inside them:
// financial records, contacts, notes and events. Documents live in package
// documents and search and reports in package search; all of them share
// the rules in this file and in classes.go: which data area each record
// type belongs to, how a record's security classes are kept, and how the
// search index is written. Every read goes through package access.
package cases

import (
	"strongroom/access"
)

// RecordType names a kind of record in record_classes and search_index.
type RecordType string

const (
	TypeCase      RecordType = "case"
	TypeDocument  RecordType = "document"
	TypeFinancial RecordType = "financial"
	TypeContact   RecordType = "contact" // a contact's part in a case (case_contacts)
	TypeNote      RecordType = "note"
	TypeEvent     RecordType = "event"
)

// recordInfo says where a record type lives and which area guards it.
type recordInfo struct {
	Area  access.Area
	Table string
}

var recordTypes = map[RecordType]recordInfo{
	TypeCase:      {access.Cases, "cases"},
	TypeDocument:  {access.Documents, "documents"},
	TypeFinancial: {access.Financial, "financial_records"},
	TypeContact:   {access.Contacts, "case_contacts"},
	TypeNote:      {access.Notes, "notes"},
	// Events and deadlines are part of working a case.
	TypeEvent: {access.Cases, "case_events"},
}

// RecordTypes lists the types of records inside a case, the case first.
func RecordTypes() []RecordType {
	return []RecordType{TypeCase, TypeDocument, TypeFinancial, TypeContact, TypeNote, TypeEvent}
}

// Area returns the data area that guards records of type t.
func (t RecordType) Area() access.Area { return recordTypes[t].Area }

// Table returns the table records of type t are kept in.
func (t RecordType) Table() string { return recordTypes[t].Table }

// Valid reports whether t is a known record type.
func (t RecordType) Valid() bool { _, ok := recordTypes[t]; return ok }

// Predicate is the access predicate for listing records of type t from
// the table aliased alias: the one place list queries get their WHERE.
func Predicate(s *access.Subject, t RecordType, need access.Level, alias string) access.Predicate {
	return s.Predicate(t.Area(), need, string(t), alias+".id")
}
