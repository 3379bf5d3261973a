package web

import (
	"strongroom/cases"
)

// The API of each type of record inside a case: its request body, how the
// body merges onto an input, and its JSON fields (recordAPI adds the rest).

// financialBody is a financial record as the API takes it: the amount is a
// decimal string ("1234.50"), never a JSON number. classes [] makes the
// record inherit its case's; left out, they stay as they are.
type financialBody struct {
	Kind        *string  `json:"kind"`
	Amount      *string  `json:"amount"`
	Currency    *string  `json:"currency"`
	OccurredOn  *string  `json:"occurred_on"`
	Description *string  `json:"description"`
	Classes     *[]int64 `json:"classes"`
	Version     int      `json:"version"`
}

func (b financialBody) version() int { return b.Version }

func (b financialBody) merge(in cases.FinancialInput) cases.FinancialInput {
	set(&in.Kind, b.Kind)
	set(&in.Amount, b.Amount)
	set(&in.Currency, b.Currency)
	set(&in.OccurredOn, b.OccurredOn)
	set(&in.Description, b.Description)
	set(&in.Classes, b.Classes)
	in.Version = b.Version
	return in
}

var financialAPI = recordAPI[*cases.Financial, cases.FinancialInput, financialBody]{
	path: "financial", one: "financial_record",
	list: (*cases.Service).ListFinancial, get: (*cases.Service).GetFinancial, create: (*cases.Service).CreateFinancial,
	update: (*cases.Service).UpdateFinancial, remove: (*cases.Service).DeleteFinancial,
	input: (*cases.Financial).Input,
	base:  func(f *cases.Financial) *cases.RecordBase { return &f.RecordBase },
	fields: func(f *cases.Financial) map[string]any {
		return map[string]any{"kind": f.Kind, "amount": f.Amount(), "currency": f.Currency,
			"occurred_on": f.OccurredOn, "description": f.Description}
	},
}

// contactBody is a contact's part in a case as the API takes it; on create,
// contact_id adds a contact the user already sees in another case.
type contactBody struct {
	ContactID int64    `json:"contact_id"`
	Kind      *string  `json:"kind"`
	Name      *string  `json:"name"`
	Email     *string  `json:"email"`
	Phone     *string  `json:"phone"`
	Address   *string  `json:"address"`
	Role      *string  `json:"role"`
	Classes   *[]int64 `json:"classes"`
	Version   int      `json:"version"`
}

func (b contactBody) version() int { return b.Version }

func (b contactBody) merge(in cases.ContactInput) cases.ContactInput {
	in.ContactID = b.ContactID
	set(&in.Kind, b.Kind)
	set(&in.Name, b.Name)
	set(&in.Email, b.Email)
	set(&in.Phone, b.Phone)
	set(&in.Address, b.Address)
	set(&in.Role, b.Role)
	set(&in.Classes, b.Classes)
	in.Version = b.Version
	return in
}

var contactAPI = recordAPI[*cases.ContactRecord, cases.ContactInput, contactBody]{
	path: "contacts", one: "contact",
	list: (*cases.Service).ListContacts, get: (*cases.Service).GetContact, create: (*cases.Service).CreateContact,
	update: (*cases.Service).UpdateContact, remove: (*cases.Service).DeleteContact,
	input: (*cases.ContactRecord).Input,
	base:  func(c *cases.ContactRecord) *cases.RecordBase { return &c.RecordBase },
	fields: func(c *cases.ContactRecord) map[string]any {
		k := c.Contact
		return map[string]any{"role": c.Role, "contact": map[string]any{"id": k.ID, "kind": k.Kind,
			"name": k.Name, "email": k.Email, "phone": k.Phone, "address": k.Address}}
	},
}

type noteBody struct {
	Title   *string  `json:"title"`
	Body    *string  `json:"body"`
	Classes *[]int64 `json:"classes"`
	Version int      `json:"version"`
}

func (b noteBody) version() int { return b.Version }

func (b noteBody) merge(in cases.NoteInput) cases.NoteInput {
	set(&in.Title, b.Title)
	set(&in.Body, b.Body)
	set(&in.Classes, b.Classes)
	in.Version = b.Version
	return in
}

var noteAPI = recordAPI[*cases.Note, cases.NoteInput, noteBody]{
	path: "notes", one: "note",
	list: (*cases.Service).ListNotes, get: (*cases.Service).GetNote, create: (*cases.Service).CreateNote,
	update: (*cases.Service).UpdateNote, remove: (*cases.Service).DeleteNote,
	input: (*cases.Note).Input,
	base:  func(n *cases.Note) *cases.RecordBase { return &n.RecordBase },
	fields: func(n *cases.Note) map[string]any {
		m := map[string]any{"title": n.Title, "body": n.Body}
		if html, err := cases.RenderMarkdown(n.Body); err == nil {
			m["body_html"] = html
		}
		return m
	},
}

type eventBody struct {
	Kind     *string  `json:"kind"`
	Title    *string  `json:"title"`
	DueOn    *string  `json:"due_on"`
	RemindOn *string  `json:"remind_on"`
	Done     *bool    `json:"done"`
	Classes  *[]int64 `json:"classes"`
	Version  int      `json:"version"`
}

func (b eventBody) version() int { return b.Version }

func (b eventBody) merge(in cases.EventInput) cases.EventInput {
	set(&in.Kind, b.Kind)
	set(&in.Title, b.Title)
	set(&in.DueOn, b.DueOn)
	set(&in.RemindOn, b.RemindOn)
	set(&in.Done, b.Done)
	set(&in.Classes, b.Classes)
	in.Version = b.Version
	return in
}

var eventAPI = recordAPI[*cases.Event, cases.EventInput, eventBody]{
	path: "events", one: "event",
	list: (*cases.Service).ListEvents, get: (*cases.Service).GetEvent, create: (*cases.Service).CreateEvent,
	update: (*cases.Service).UpdateEvent, remove: (*cases.Service).DeleteEvent,
	input: (*cases.Event).Input,
	base:  func(e *cases.Event) *cases.RecordBase { return &e.RecordBase },
	fields: func(e *cases.Event) map[string]any {
		return map[string]any{"kind": e.Kind, "title": e.Title, "due_on": e.DueOn,
			"remind_on": e.RemindOn, "done": e.Done}
	},
}
