package seed

// The word lists generated data is made of. They are small and fixed, so
// the same seed gives the same tenant on every machine; the long tail of
// rarer words is made from syllables (see text.go).

var firstNames = []string{
	"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
	"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
	"Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
	"Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
	"Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Dorothy", "George", "Melissa", "Timothy", "Deborah",
	"Ronald", "Stephanie", "Edward", "Rebecca", "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia",
	"Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Anna",
	"Priya", "Wei", "Fatima", "Mateo", "Sofia", "Hiroshi", "Aisha", "Lars", "Ingrid", "Rafael",
}

var surnames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
	"Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
	"Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
	"Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
	"Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
	"Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
	"Okafor", "Kowalski", "Lindqvist", "Haddad", "Yamamoto", "Novak", "Fitzgerald", "Oyelaran", "Brennan", "Castellanos",
}

// companyStems and companySuffixes make organisation names ("Northwind
// Logistics Ltd", "Mill Lane Developments Ltd").
var companyStems = []string{
	"Castlegate", "Northwind", "Ashworth", "Kingsbridge", "Thornbury", "Whitcombe", "Aldgate", "Fenwick", "Calder", "Pennine",
	"Holloway", "Mill Lane", "Blue Harbor", "Silver Creek", "Redwood", "Granite", "Meridian", "Pinnacle", "Summit", "Harbour",
	"Lakeside", "Harborview", "Ironbridge", "Evergreen", "Brightwater", "Oakridge", "Crescent", "Falcon", "Keystone", "Liberty",
	"Beacon", "Cascade", "Atlas", "Orion", "Sterling", "Westfield", "Riverside", "Highland", "Copperfield", "Bayport",
}

var companySuffixes = []string{
	"Holdings", "Logistics", "Industries", "Pharmaceuticals", "Insurance", "Bank", "Construction", "Foods", "Energy", "Developments",
	"Software", "Manufacturing", "Properties", "Capital", "Chemicals", "Motors", "Healthcare", "Trust", "Shipping", "Partners",
}

// companyForms end company names; each company always has the same one.
var companyForms = []string{"Ltd", "plc", "LLP", "Inc.", "Ltd", "LLC", "Ltd", ""}

// lawFirmForms make the names of other firms ("Hartley & Moss LLP").
var lawFirmForms = []string{"%s & %s LLP", "%s %s Solicitors", "%s & %s", "%s, %s & Co."}

// clauseFrames set a list of the terms drawn into a sentence of a case
// file ("Counsel to advise on the indemnity and the warranty.").
var clauseFrames = []string{
	"Reviewed the file on %s.", "Discussed %s with client.", "Call re %s.", "Counsel to advise on %s.",
	"Client asked about %s.", "Research note on %s.", "Court asked for submissions on %s.", "Points on %s agreed.",
	"Opponent's position on %s noted.", "Still open: %s.", "Memo to partner on %s.", "Updated chronology on %s.",
}

// bothFrames set people and the things they spoke of; peopleFrames
// people alone.
var bothFrames = []string{
	"Spoke to %s about %s.", "Call with %s re %s.", "Email from %s on %s.", "%s to comment on %s.",
	"Met %s to discuss %s.", "Sent %s our note on %s.", "Letter from %s disputing %s.", "%s confirmed %s.",
}

var peopleFrames = []string{
	"Spoke to %s.", "Left a message for %s.", "Letter from %s.", "Awaiting reply from %s.", "Chased %s.",
	"Instructions from %s.", "Conflict check on %s.", "Copied in %s.",
}

// shortSentences stand in when the words drawn carry no meaning.
var shortSentences = []string{"File updated.", "Diary note made.", "Nothing further today.", "Time recorded.", "Copy on file."}

// nameFrames make a person or an organisation of a name of the long tail
// (or a surname); namedThings a thing called by it.
var nameFrames = []string{"Mr %s", "Ms %s", "Dr %s", "%s Ltd", "%s LLP", "Mrs %s"}

var namedThings = []string{"the %s site", "the %s account", "the %s contract", "the %s report", "the %s property", "the %s file"}

// termNouns give the terms that are adjectives or verbs the noun a file
// note would use them with.
var termNouns = map[string]string{
	"confidential": "confidential schedule", "redacted": "redacted bundle", "medical": "medical records",
	"quarterly": "quarterly accounts", "annual": "annual return", "protective": "protective order",
	"summary": "summary judgment", "bellwether": "bellwether trial", "steering": "steering committee",
	"mdl": "MDL transfer", "phone": "phone note", "wire": "wire transfer", "call": "call note",
	"draft": "draft order", "review": "file review", "closing": "closing statement", "execution": "execution copy",
}

// practiceGroups are the firm's practice groups, most common first.
var practiceGroups = []string{
	"Litigation", "Corporate", "Employment", "Intellectual Property", "Real Estate", "Tax", "Insolvency", "Family",
}

// groupCodes prefix the case numbers of each practice group.
var groupCodes = map[string]string{
	"Litigation": "LIT", "Corporate": "CORP", "Employment": "EMP", "Intellectual Property": "IP",
	"Real Estate": "RE", "Tax": "TAX", "Insolvency": "INS", "Family": "FAM",
}

// functionWords head the Zipf distribution, as in any English text.
var functionWords = []string{
	"the", "of", "and", "to", "in", "a", "for", "is", "on", "that", "by", "with", "as", "at", "this", "be", "from",
	"or", "was", "are", "an", "it", "not", "we", "has", "have", "which", "will", "their", "been", "were", "all", "its",
	"would", "there", "any", "may", "such", "under", "our", "these", "after", "into", "should", "than", "other", "per",
	"about", "also", "between", "before", "if", "no", "been", "upon", "each", "where", "within", "without", "against",
}

// legalTerms are the words of case work, most frequent first: the first
// ones generic, the later ones specific (see vocabulary).
var legalTerms = []string{
	"agreement", "contract", "claim", "court", "motion", "client", "hearing", "filing", "damages", "discovery",
	"settlement", "deposition", "witness", "evidence", "counsel", "appeal", "judgment", "breach", "liability", "notice",
	"complaint", "answer", "order", "brief", "exhibit", "plaintiff", "defendant", "invoice", "payment", "deadline",
	"review", "draft", "memo", "letter", "call", "meeting", "schedule", "response", "request", "production",
	"subpoena", "affidavit", "declaration", "stipulation", "injunction", "arbitration", "mediation", "negotiation", "lease", "license",
	"patent", "trademark", "copyright", "merger", "acquisition", "shareholder", "board", "resolution", "dividend", "audit",
	"tax", "assessment", "penalty", "refund", "employment", "termination", "severance", "harassment", "discrimination", "wage",
	"overtime", "pension", "benefits", "insurance", "coverage", "policy", "premium", "indemnity", "warranty", "defect",
	"product", "recall", "injury", "negligence", "causation", "expert", "report", "opinion", "analysis", "valuation",
	"property", "title", "easement", "zoning", "mortgage", "foreclosure", "tenant", "landlord", "eviction", "rent",
	"bankruptcy", "creditor", "debtor", "trustee", "restructuring", "liquidation", "custody", "divorce", "support", "estate",
	"probate", "will", "trust", "guardianship", "compliance", "regulator", "investigation", "privilege", "confidential", "redacted",
	"amendment", "termination", "renewal", "option", "consent", "waiver", "release", "assignment", "guarantee", "collateral",
	"jurisdiction", "venue", "removal", "remand", "summary", "dismissal", "sanctions", "costs", "fees", "interest",
	"mdl", "bellwether", "plaintiffs", "steering", "committee", "docket", "transfer", "coordination", "protective", "glyphosate",
	"herbicide", "exposure", "lymphoma", "diagnosis", "medical", "records", "causation", "toxicology", "epidemiology", "labeling",
	"quarterly", "annual", "budget", "estimate", "forecast", "ledger", "reconciliation", "disbursement", "retainer", "trust",
	"correspondence", "email", "phone", "conference", "status", "update", "strategy", "timeline", "research", "precedent",
	"statute", "regulation", "ordinance", "code", "section", "clause", "provision", "schedule", "appendix", "annex",
	"signature", "execution", "closing", "escrow", "deposit", "wire", "transfer", "receipt", "statement", "balance",
}

// documentKinds are what documents are ("Deposition transcript of …").
var documentKinds = []string{
	"Deposition transcript", "Expert report", "Engagement letter", "Motion to dismiss", "Settlement agreement",
	"Medical records", "Discovery request", "Privilege log", "Court order", "Witness statement",
	"Share purchase agreement", "Lease", "Employment contract", "Invoice", "Memorandum of law",
	"Board minutes", "Patent application", "Trademark filing", "Tax return", "Correspondence",
}

var noteTopics = []string{
	"Call with client", "Strategy meeting", "Research note", "Hearing preparation", "Call with opposing counsel",
	"Settlement discussion", "Discovery plan", "Witness interview", "File review", "Billing note",
}

var eventTitles = map[string][]string{
	"deadline": {"File answer", "Serve discovery responses", "Expert disclosure", "Opposition brief due", "Reply brief due", "Statute of limitations"},
	"hearing":  {"Case management conference", "Motion hearing", "Status conference", "Pre-trial conference"},
	"meeting":  {"Client meeting", "Team meeting", "Meeting with expert"},
	"filing":   {"File motion", "File complaint", "File notice of appeal"},
	"reminder": {"Chase invoice", "Follow up with client", "Renew retainer"},
	"other":    {"Site visit", "Document inspection"},
}

var eventKinds = []string{"deadline", "deadline", "deadline", "hearing", "meeting", "filing", "reminder", "other"}

var financialKinds = []string{"fee", "fee", "fee", "expense", "expense", "invoice", "payment", "settlement", "trust_deposit"}

// feeWork is the work a fee is for.
var feeWork = []string{"Attendance at hearing", "Drafting witness statement", "Review of disclosure", "Preparing trial bundle",
	"Conference with counsel", "Telephone attendance on client", "Drafting letter before action", "Negotiating settlement terms",
	"Preparing schedule of loss", "Drafting particulars of claim"}

// expenseItems are the disbursements of a case.
var expenseItems = []string{"Court fee", "Counsel's fee", "Expert's fee", "Courier", "Travel to hearing", "Transcript of hearing",
	"Process server", "Land Registry search", "Translation of exhibits", "Copying of trial bundles"}

var contactRoles = []string{"client", "opposing_party", "witness", "counsel", "expert", "judge", "other"}

var cities = []string{
	"Springfield", "Riverton", "Fairview", "Georgetown", "Salem", "Madison", "Clinton", "Franklin", "Arlington", "Ashland",
	"Dover", "Milton", "Newport", "Oxford", "Burlington", "Manchester", "Bristol", "Chester", "Kingston", "Lexington",
}

var streets = []string{"Main Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Elm Street", "Park Road", "Lake View", "Hill Street"}

var tagWords = []string{"urgent", "pro-bono", "class-action", "appeal", "cross-border", "high-value", "regulatory", "confidential", "fixed-fee", "contingency"}
