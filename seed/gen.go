package seed

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// caseSpec is what the caller decides about one generated case.
type caseSpec struct {
	classes []int64 // the case's security classes (its records inherit them)
	mdlID   int64   // 0: not in an MDL
	mdlName string  // the defendant of the MDL, for titles
	group   string  // practice group; "" picks one
	// ownClasses, when set, gives a few records of the case classes of
	// their own (a privileged note, say).
	ownClasses []int64
}

// generator turns case specs into rows: the case, its documents,
// financial records, contacts, notes and events, with their effective
// classes in record_classes and their search entries, exactly as the
// writers in package cases and documents keep them (the same title and
// body for each record type).
type generator struct {
	g     *textGen
	w     *writer
	today time.Time
	now   string // created_at / updated_at of every row
	// records counts the search entries written (cases included).
	records int
}

func newGenerator(g *textGen, w *writer, now time.Time) *generator {
	return &generator{g: g, w: w, today: now.UTC().Truncate(24 * time.Hour), now: fmtTime(now)}
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
func fmtDate(t time.Time) string { return t.Format("2006-01-02") }

var statuses = []string{"open", "open", "open", "open", "pending", "pending", "closed", "closed", "closed", "archived"}

// addCase generates one case and everything in it.
func (gen *generator) addCase(spec caseSpec) {
	g, w := gen.g, gen.w
	id := w.id("cases")
	group := spec.group
	if group == "" {
		// Litigation and corporate work dominate, as in most firms.
		group = practiceGroups[min(g.intn(len(practiceGroups)), g.intn(len(practiceGroups)+2))%len(practiceGroups)]
	}
	opened := gen.today.AddDate(0, 0, -g.intn(8*365))
	status := g.pick(statuses)
	closed := ""
	end := gen.today
	if status == "closed" || status == "archived" {
		end = opened.AddDate(0, 0, 30+g.intn(900))
		if end.After(gen.today) {
			end = gen.today
		}
		closed = fmtDate(end)
	}
	client := gen.client()
	title, other := gen.caseTitle(group, client, spec.mdlName)
	if strings.Contains(title, "%s") {
		title = fmt.Sprintf(title, gen.g.brand())
	}
	// Numbers carry the practice group's code, as many firms' do; they
	// never take the YEAR-NNNNN form the case service hands out itself.
	number := fmt.Sprintf("%s-%d-%05d", groupCodes[group], opened.Year(), id)
	if spec.mdlID != 0 {
		number = fmt.Sprintf("MDL2741-%05d", id)
	}
	var tags []string
	for range g.intn(3) {
		if t := g.pick(tagWords); !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	var mdl any
	if spec.mdlID != 0 {
		mdl = spec.mdlID
		tags = append(tags, "mdl")
	}
	slices.Sort(tags)
	w.add("cases", id, number, title, client, group, status, fmtDate(opened), closed, mdl, strings.Join(tags, ","), gen.now, gen.now)
	gen.classes("case", id, spec.classes)
	gen.index("case", id, id, number+" "+title, strings.Join([]string{client, group, strings.Join(tags, " ")}, "\n"))

	span := max(1, int(end.Sub(opened).Hours()/24))
	day := func() string { return fmtDate(opened.AddDate(0, 0, g.intn(span+1))) }
	open := status == "open" || status == "pending"
	for range g.intn(7) {
		gen.addDocument(id, spec, client)
	}
	for range g.intn(5) {
		gen.addFinancial(id, spec, day())
	}
	for range 1 + g.intn(2) - g.intn(2) {
		gen.addContact(id, spec, client, other)
	}
	for range g.intn(5) {
		gen.addNote(id, spec, client)
	}
	for range g.intn(3) {
		gen.addEvent(id, spec, open, day())
	}
}

func (gen *generator) client() string {
	if gen.g.chance(0.5) {
		return gen.g.company()
	}
	return gen.g.person()
}

// caseTitle names a case as firms do, and returns the other side, if the
// title names one.
func (gen *generator) caseTitle(group, client, mdlDefendant string) (title, other string) {
	g := gen.g
	switch {
	case mdlDefendant != "":
		return client + " v. " + mdlDefendant, mdlDefendant
	case group == "Litigation":
		other = gen.clientOther()
		return client + " v. " + other + g.pick([]string{"", "", "", " — appeal", " — disclosure dispute", " — enforcement"}), other
	case group == "Employment":
		if strings.Contains(client, " ") && !isCompany(client) {
			other = g.company()
			return client + " v. " + other + " — " + g.pick([]string{"unfair dismissal", "discrimination claim", "unpaid wages", "whistleblowing"}), other
		}
		other = g.person()
		return other + " v. " + client + " — " + g.pick([]string{"tribunal claim", "restrictive covenant", "grievance appeal"}), other
	case group == "Family":
		switch g.intn(3) {
		case 0:
			return "Estate of " + g.person() + " — probate", ""
		case 1:
			return "In re Marriage of " + g.surname(), ""
		}
		return client + " — " + g.pick([]string{"child arrangements", "financial remedy", "prenuptial agreement"}), ""
	case group == "Insolvency":
		return "In re " + g.company() + " — " + g.pick([]string{"administration", "liquidation", "Chapter 11", "creditors' voluntary arrangement"}), ""
	case group == "Real Estate":
		addr := fmt.Sprintf("%d %s, %s", 1+g.intn(300), g.pick(streets), g.pick(cities))
		return client + " — " + g.pick([]string{"acquisition of ", "lease of ", "sale of ", "refinancing of "}) + addr, ""
	case group == "Intellectual Property":
		if g.chance(0.5) {
			other = g.company()
			return client + " v. " + other + " — " + g.pick([]string{"trademark infringement", "patent infringement", "passing off"}), other
		}
		return client + " — " + g.pick([]string{"%s trademark application", "%s patent portfolio", "%s licence"}), ""
	case group == "Tax":
		return client + " — " + g.pick([]string{"VAT enquiry", "tax investigation", "transfer pricing review", "R&D tax credit claim", "inheritance tax planning"}), ""
	}
	return client + " — " + g.pick([]string{"acquisition of " + g.company(), "shareholders' agreement", "group restructuring",
		"Series B financing", "joint venture with " + g.company(), "share purchase"}), ""
}

func (gen *generator) clientOther() string {
	if gen.g.chance(0.7) {
		return gen.g.company()
	}
	return gen.g.person()
}

// isCompany reports whether a name is an organisation's.
func isCompany(name string) bool {
	for _, s := range append(companySuffixes, "Ltd", "plc", "LLP", "Inc.", "LLC") {
		if strings.HasSuffix(name, " "+s) || strings.Contains(name, " "+s+" ") {
			return true
		}
	}
	return false
}

// own returns the record's own classes: rarely any, and only when the
// spec offers some.
func (gen *generator) own(spec caseSpec) []int64 {
	if len(spec.ownClasses) > 0 && gen.g.chance(0.02) {
		return []int64{spec.ownClasses[gen.g.intn(len(spec.ownClasses))]}
	}
	return nil
}

// effective writes a record's classes as cases.SetRecordClasses does (its
// own when it has any, else its case's) and returns own_classes.
func (gen *generator) effective(typ string, id int64, spec caseSpec) int {
	if own := gen.own(spec); len(own) > 0 {
		gen.classes(typ, id, own)
		return 1
	}
	gen.classes(typ, id, spec.classes)
	return 0
}

func (gen *generator) classes(typ string, id int64, classes []int64) {
	for _, c := range classes {
		gen.w.add("record_classes", typ, id, c)
	}
}

func (gen *generator) index(typ string, id, caseID int64, title, body string) {
	gen.w.add("search_index", gen.w.id("search_index"), typ, id, caseID, title, body)
	gen.records++
}

func (gen *generator) addDocument(caseID int64, spec caseSpec, client string) {
	g := gen.g
	id := gen.w.id("documents")
	title := g.pick(documentKinds) + " — " + client
	if g.chance(0.5) {
		title = g.pick(documentKinds) + " of " + g.person()
	}
	desc := g.paragraph(8 + g.intn(12))
	// The text extracted from the file: the bulk of what search reads.
	text := g.paragraph(40 + g.intn(80))
	own := gen.effective("document", id, spec)
	gen.w.add("documents", id, caseID, title, desc, own, gen.now, gen.now)
	gen.index("document", id, caseID, title, desc+"\n"+text)
}

func (gen *generator) addFinancial(caseID int64, spec caseSpec, day string) {
	g := gen.g
	id := gen.w.id("financial_records")
	kind := g.pick(financialKinds)
	cents := int64(5000 + g.intn(500000))
	if kind == "settlement" {
		cents *= 20
	}
	if kind == "payment" || kind == "trust_deposit" {
		cents = -cents // money in, against fees and expenses
	}
	currency := "USD"
	switch r := g.intn(100); {
	case r < 12:
		currency = "EUR"
	case r < 20:
		currency = "GBP"
	}
	// A fee is described by the work done, as a time entry is.
	work := g.sentence(4 + g.intn(6))
	var desc string
	switch kind {
	case "fee":
		desc = "Fee: " + g.pick(feeWork) + ". " + work
	case "expense":
		desc = "Expense: " + g.pick(expenseItems) + ". " + work
	case "invoice":
		desc = fmt.Sprintf("Invoice %d: professional fees to %s. %s", 1000+id, day, work)
	case "payment":
		desc = fmt.Sprintf("Payment received against invoice %d.", 1000+id-1-int64(g.intn(3)))
	case "settlement":
		desc = "Settlement sum under the agreement of " + day + ". " + work
	default:
		desc = "Money on account from the client."
	}
	own := gen.effective("financial", id, spec)
	gen.w.add("financial_records", id, caseID, kind, cents*100, currency, day, desc, own, gen.now, gen.now)
	gen.index("financial", id, caseID, desc, "")
}

func (gen *generator) addContact(caseID int64, spec caseSpec, client, other string) {
	g := gen.g
	contactID := gen.w.id("contacts")
	role := g.pick(contactRoles)
	kind, name := "person", g.person()
	switch role {
	case "client":
		name = client
		if isCompany(client) || strings.HasPrefix(client, "In re") {
			kind = "organisation"
		}
	case "opposing_party":
		if other != "" {
			name = other
		}
		if isCompany(name) {
			kind = "organisation"
		}
	case "counsel":
		kind, name = "organisation", g.lawFirm()
	}
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"
	switch {
	case kind == "organisation":
		email = "office@" + strings.ToLower(strings.Trim(strings.Fields(name)[0], ",")) + ".example.com"
	case role == "expert":
		name = "Dr " + name
	case role == "judge":
		name = g.pick([]string{"Judge ", "Hon. Justice ", "HHJ "}) + g.surname()
		email = "listing@" + strings.ToLower(strings.ReplaceAll(g.pick(cities), " ", "")) + "-court.example.com"
	}
	phone := fmt.Sprintf("+1 555 %03d %04d", g.intn(1000), g.intn(10000))
	addr := fmt.Sprintf("%d %s, %s", 1+g.intn(300), g.pick(streets), g.pick(cities))
	gen.w.add("contacts", contactID, kind, name, email, phone, addr, gen.now, gen.now)
	id := gen.w.id("case_contacts")
	own := gen.effective("contact", id, spec)
	gen.w.add("case_contacts", id, caseID, contactID, role, own, gen.now, gen.now)
	gen.index("contact", id, caseID, name, role)
}

func (gen *generator) addNote(caseID int64, spec caseSpec, client string) {
	g := gen.g
	id := gen.w.id("notes")
	title := g.pick(noteTopics)
	body := title + " — " + g.person() + " (" + client + "). " + g.paragraph(25+g.intn(50))
	own := gen.effective("note", id, spec)
	gen.w.add("notes", id, caseID, title, body, own, gen.now, gen.now)
	gen.index("note", id, caseID, title, body)
}

func (gen *generator) addEvent(caseID int64, spec caseSpec, open bool, day string) {
	g := gen.g
	id := gen.w.id("case_events")
	kind := g.pick(eventKinds)
	title := g.pick(eventTitles[kind])
	done := 1
	if open {
		// Open cases have work ahead: most of their events are still to come.
		day = fmtDate(gen.today.AddDate(0, 0, g.intn(240)-45))
		if day >= fmtDate(gen.today) || g.chance(0.2) {
			done = 0
		}
	}
	own := gen.effective("event", id, spec)
	gen.w.add("case_events", id, caseID, kind, title, day, done, own, gen.now, gen.now)
	gen.index("event", id, caseID, title, "")
}
