package format

// Choice is a value a tenant may choose and its name for people.
type Choice struct{ Code, Name string }

// locales are the locales a tenant may choose: those whose number symbols
// golang.org/x/text knows and whose currency placement (symbolAfter) has
// been checked.
var locales = []Choice{
	{"en-GB", "English (United Kingdom)"},
	{"en-US", "English (United States)"},
	{"en-IE", "English (Ireland)"},
	{"en-CA", "English (Canada)"},
	{"en-AU", "English (Australia)"},
	{"en-IN", "English (India)"},
	{"de-DE", "Deutsch (Deutschland)"},
	{"de-AT", "Deutsch (Österreich)"},
	{"de-CH", "Deutsch (Schweiz)"},
	{"fr-FR", "Français (France)"},
	{"fr-BE", "Français (Belgique)"},
	{"fr-CA", "Français (Canada)"},
	{"nl-NL", "Nederlands (Nederland)"},
	{"it-IT", "Italiano (Italia)"},
	{"es-ES", "Español (España)"},
	{"pt-PT", "Português (Portugal)"},
	{"pl-PL", "Polski (Polska)"},
	{"sv-SE", "Svenska (Sverige)"},
	{"da-DK", "Dansk (Danmark)"},
	{"nb-NO", "Norsk bokmål (Norge)"},
	{"fi-FI", "Suomi (Suomi)"},
	{"ja-JP", "日本語 (日本)"},
}

// Locales lists the locales a tenant may choose.
func Locales() []Choice { return append([]Choice(nil), locales...) }

// KnownLocale reports whether code is one of Locales.
func KnownLocale(code string) bool {
	for _, l := range locales {
		if l.Code == code {
			return true
		}
	}
	return false
}

// commonCurrencies are offered first when a tenant chooses its default
// currency; any ISO 4217 code is accepted.
var commonCurrencies = []Choice{
	{"EUR", "Euro"}, {"USD", "US dollar"}, {"GBP", "Pound sterling"}, {"CHF", "Swiss franc"},
	{"JPY", "Japanese yen"}, {"CAD", "Canadian dollar"}, {"AUD", "Australian dollar"},
	{"SEK", "Swedish krona"}, {"NOK", "Norwegian krone"}, {"DKK", "Danish krone"},
	{"PLN", "Polish złoty"}, {"CZK", "Czech koruna"}, {"INR", "Indian rupee"},
	{"CNY", "Chinese yuan"}, {"HKD", "Hong Kong dollar"}, {"SGD", "Singapore dollar"},
	{"NZD", "New Zealand dollar"}, {"ZAR", "South African rand"}, {"AED", "UAE dirham"},
	{"BHD", "Bahraini dinar"},
}

// CommonCurrencies lists the currencies offered first.
func CommonCurrencies() []Choice { return append([]Choice(nil), commonCurrencies...) }

// CommonZones are the time zones offered first; any IANA name is accepted.
var commonZones = []string{
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Brussels",
	"Europe/Amsterdam", "Europe/Zurich", "Europe/Vienna", "Europe/Rome", "Europe/Madrid", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Athens",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto",
	"America/Sao_Paulo", "Asia/Tokyo", "Asia/Singapore", "Asia/Hong_Kong", "Asia/Kolkata", "Asia/Dubai",
	"Australia/Sydney", "Pacific/Auckland", "Africa/Johannesburg", "UTC",
}

// CommonZones lists the time zones offered first.
func CommonZones() []string { return append([]string(nil), commonZones...) }
