// Package patientguard finds patient identifiers (NHS numbers and dates of birth) in the free text people
// type into cutover, so that it can be refused before it is stored: the NHS migration checklist itself warns
// that listing patient details in it may breach GDPR.
//
// It reports the kind and byte position of each identifier and never its value, so a caller can name the
// field without echoing or logging the identifier. It is plain Go on the standard library: it must not import
// HTTP, database or logging packages.
package patientguard

// Kind names a kind of patient identifier. The values are stable: they reach API problem bodies.
type Kind string

const (
	// NHSNumber is ten digits, together or grouped 3-3-4, whose modulus 11 check digit is valid.
	NHSNumber Kind = "nhs_number"
	// DateOfBirth is a date written next to a word such as DOB, born or date of birth.
	DateOfBirth Kind = "date_of_birth"
)

// Description says what the text looked like, in words fit for an error message shown to the person who
// typed it.
func (k Kind) Description() string {
	switch k {
	case NHSNumber:
		return "looks like an NHS number"
	case DateOfBirth:
		return "looks like a date of birth"
	}
	return "looks like a patient identifier"
}

// Finding is one identifier found in a text: its kind and its span as byte offsets into the text, End
// exclusive. It deliberately holds no copy of the value.
type Finding struct {
	Kind       Kind
	Start, End int
}

// Field is a named free-text field, such as {"notes", …} or {"tasks[3].title", …}.
type Field struct {
	Name, Text string
}

// FieldFinding is a Finding in the named field.
type FieldFinding struct {
	Field   string
	Finding Finding
}

// Scan returns the patient identifiers in text in order of Start; they never overlap. It accepts any bytes,
// valid UTF-8 or not, and allocates only when it finds something.
//
// An NHS number is ten ASCII digits written together or grouped 3-3-4, standing alone (not part of a
// longer run of digits or digit groups) and passing the modulus 11 check. Between groups it accepts one to
// three spaces (ordinary, no-break or narrow no-break), or a single hyphen, dot, en dash, em dash, minus
// sign or other Unicode hyphen. It rejects slashes, which mean dates, fractions and references, and wider
// gaps, which mean table columns. Letters next to the digits do not stop a match ("NHS9434765919").
//
// A date of birth is a valid date (12/03/1954, 12-03-1954, 12.03.1954, 1954-03-12, 3/7/61, 12 March 1954,
// 12th of Mar. 54, 12-Mar-1954, March 12, 1954) with a cue (DOB, D.O.B, d/o/b, date of birth, birth date,
// birthdate, born) before or after it, with up to three filler words such as "is", "of" or "patient's"
// between them and no comma, full stop or line break. The cues "age", "aged" and "b." count only right next
// to the date, and "age" after a date only with an age after it ("(aged 70)"). The span is the date alone.
func Scan(text string) []Finding {
	var found []Finding
	last := 0 // end of the last finding, so that findings stay sorted and apart
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		// i starts a run of digits: every jump below lands after a non-digit or on one.
		run := digitsEnd(text, i)
		next := run
		switch run - i {
		case 3, 10:
			if end, ok := nhsNumberAt(text, i, run); ok {
				found = append(found, Finding{Kind: NHSNumber, Start: i, End: end})
				last, next = end, end
			}
		case 1, 2, 4:
			if start, end, ok := dateAt(text, i, run); ok {
				if start >= last && nextToCue(text, start, end) {
					found = append(found, Finding{Kind: DateOfBirth, Start: start, End: end})
					last = end
				}
				next = end
			}
		}
		i = next
	}
	return found
}

// ScanFields scans each field in the given order and returns every finding, named by its field.
func ScanFields(fields ...Field) []FieldFinding {
	var found []FieldFinding
	for _, f := range fields {
		for _, x := range Scan(f.Text) {
			found = append(found, FieldFinding{Field: f.Name, Finding: x})
		}
	}
	return found
}

func isDigit(c byte) bool { return c-'0' <= 9 }

// isLetter is ASCII only: every cue and month name is ASCII, and a multi-byte letter next to one is too rare
// to be worth decoding UTF-8 for.
func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold compares s with a lower-case ASCII pattern, ignoring the case of s.
func equalFold(s, pattern string) bool {
	if len(s) != len(pattern) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != pattern[i] {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether text[k:] starts with the lower-case ASCII pattern, ignoring case.
func hasPrefixFold(text string, k int, pattern string) bool {
	return k+len(pattern) <= len(text) && equalFold(text[k:k+len(pattern)], pattern)
}

func digitsEnd(text string, i int) int {
	for i < len(text) && isDigit(text[i]) {
		i++
	}
	return i
}

// number is the value of the digits text[i:j]; callers keep j-i small.
func number(text string, i, j int) int {
	v := 0
	for ; i < j; i++ {
		v = v*10 + int(text[i]-'0')
	}
	return v
}

// Spaces people type, or that word processors and web forms put in for them.
const (
	noBreakSpace       = "\u00a0"
	narrowNoBreakSpace = "\u202f"
)

// spaceAt is the width in bytes of a space at text[k], 0 if there is none.
func spaceAt(text string, k int) int {
	switch {
	case k >= len(text):
		return 0
	case text[k] == ' ':
		return 1
	case text[k] == 0xc2 && hasPrefixFold(text, k, noBreakSpace):
		return len(noBreakSpace)
	case text[k] == 0xe2 && hasPrefixFold(text, k, narrowNoBreakSpace):
		return len(narrowNoBreakSpace)
	}
	return 0
}

// spaceBefore is the width in bytes of a space ending at text[k-1], 0 if there is none.
func spaceBefore(text string, k int) int {
	switch {
	case k <= 0:
		return 0
	case text[k-1] == ' ':
		return 1
	case k >= len(noBreakSpace) && text[k-len(noBreakSpace):k] == noBreakSpace:
		return len(noBreakSpace)
	case k >= len(narrowNoBreakSpace) && text[k-len(narrowNoBreakSpace):k] == narrowNoBreakSpace:
		return len(narrowNoBreakSpace)
	}
	return 0
}

// skipSpaces moves k past up to three spaces.
func skipSpaces(text string, k int) int {
	for n := 0; n < 3; n++ {
		w := spaceAt(text, k)
		if w == 0 {
			break
		}
		k += w
	}
	return k
}

// skipSpacesBack moves k back over up to three spaces.
func skipSpacesBack(text string, k int) int {
	for n := 0; n < 3; n++ {
		w := spaceBefore(text, k)
		if w == 0 {
			break
		}
		k -= w
	}
	return k
}

// dashes are the hyphen-like characters autocorrect and copied documents put between digit groups.
var dashes = [...]string{"\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"}

// dashAt is the width in bytes of a Unicode dash at text[k], 0 if there is none.
func dashAt(text string, k int) int {
	if k >= len(text) || text[k] != 0xe2 {
		return 0
	}
	for _, d := range dashes {
		if hasPrefixFold(text, k, d) {
			return len(d)
		}
	}
	return 0
}

// dashBefore is the width in bytes of a Unicode dash ending at text[k-1], 0 if there is none.
func dashBefore(text string, k int) int {
	if k < 3 || text[k-3] != 0xe2 {
		return 0
	}
	for _, d := range dashes {
		if text[k-3:k] == d {
			return len(d)
		}
	}
	return 0
}
