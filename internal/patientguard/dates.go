package patientguard

// dateAt finds a date that uses the digit run text[i:j] as its day or its year. The span starts before i
// when the month is written first ("March 12 1954").
func dateAt(text string, i, j int) (start, end int, ok bool) {
	switch j - i {
	case 4:
		end, ok = isoDateAt(text, i, j)
		return i, end, ok
	case 1, 2:
		if end, ok = numericDateAt(text, i, j); ok {
			return i, end, true
		}
		if end, ok = dayMonthYearAt(text, i, j); ok {
			return i, end, true
		}
		return monthDayYearAt(text, i, j)
	}
	return 0, 0, false
}

// numericDateAt reads 12/03/1954, 12-03-1954, 12.03.1954 and 3/7/61 from the day's digit run text[i:j].
// Day and month may come either way round: a date is identifying whichever order its writer meant.
func numericDateAt(text string, i, j int) (int, bool) {
	if j >= len(text) || !isDateSep(text[j]) {
		return 0, false
	}
	sep := text[j]
	k := j + 1
	l := digitsEnd(text, k)
	if l-k < 1 || l-k > 2 || l >= len(text) || text[l] != sep {
		return 0, false
	}
	year, end, ok := yearAt(text, l+1)
	if !ok || partOfLonger(text, i, end, sep) {
		return 0, false
	}
	a, b := number(text, i, j), number(text, k, l)
	return end, validDate(a, b, year, end-l-1) || validDate(b, a, year, end-l-1)
}

// isoDateAt reads 1954-03-12 (and 1954/03/12) from the year's digit run text[i:j].
func isoDateAt(text string, i, j int) (int, bool) {
	if j >= len(text) || !isDateSep(text[j]) {
		return 0, false
	}
	sep := text[j]
	k := j + 1
	l := digitsEnd(text, k)
	if l-k < 1 || l-k > 2 || l >= len(text) || text[l] != sep {
		return 0, false
	}
	end := digitsEnd(text, l+1)
	if end-l-1 < 1 || end-l-1 > 2 || partOfLonger(text, i, end, sep) {
		return 0, false
	}
	return end, validDate(number(text, l+1, end), number(text, k, l), number(text, i, j), 4)
}

func isDateSep(c byte) bool { return c == '/' || c == '-' || c == '.' }

// partOfLonger reports whether the separator joins the date text[i:end] to more digits, as in a version
// number or a reference (1.12.03.54, 12/03/1954/2).
func partOfLonger(text string, i, end int, sep byte) bool {
	return i >= 2 && text[i-1] == sep && isDigit(text[i-2]) ||
		end+1 < len(text) && text[end] == sep && isDigit(text[end+1])
}

// dayMonthYearAt reads 12 March 1954, 12th of Mar. 54, 12 March, 1954 and 12-Mar-1954 from the day's digit
// run text[i:j].
func dayMonthYearAt(text string, i, j int) (int, bool) {
	k := skipOrdinal(text, j)
	var sep byte // '-' or '/' when the parts are joined by one; 0 for spaces
	if k < len(text) && (text[k] == '-' || text[k] == '/') {
		sep = text[k]
		k++
	} else {
		l := skipSpaces(text, k)
		if l == k {
			return 0, false
		}
		k = l
		if hasPrefixFold(text, k, "of") {
			if l = skipSpaces(text, k+2); l == k+2 {
				return 0, false
			}
			k = l
		}
	}
	month, k := monthAt(text, k)
	if month == 0 {
		return 0, false
	}
	if sep != 0 {
		if k >= len(text) || text[k] != sep {
			return 0, false
		}
		k++
	} else {
		if k < len(text) && text[k] == '.' {
			k++
		}
		if k < len(text) && text[k] == ',' {
			k++
		}
		l := skipSpaces(text, k)
		if l == k {
			return 0, false
		}
		k = l
	}
	year, end, ok := yearAt(text, k)
	if !ok {
		return 0, false
	}
	return end, validDate(number(text, i, j), month, year, end-k)
}

// monthDayYearAt reads March 12 1954, Mar. 12th, 1954 and the like, where the digit run text[i:j] is the
// day and the month name comes before it. It looks for the year first: most short numbers have none.
func monthDayYearAt(text string, i, j int) (start, end int, ok bool) {
	k := skipOrdinal(text, j)
	if k < len(text) && text[k] == ',' {
		k++
	}
	l := skipSpaces(text, k)
	if l == k {
		return 0, 0, false
	}
	year, end, ok := yearAt(text, l)
	if !ok {
		return 0, 0, false
	}
	k = skipSpacesBack(text, i)
	if k == i {
		return 0, 0, false
	}
	if k > 0 && text[k-1] == '.' {
		k--
	}
	start = k
	for start > 0 && isLetter(text[start-1]) && k-start <= len("september") {
		start--
	}
	if start > 0 && isLetter(text[start-1]) {
		return 0, 0, false
	}
	month, e := monthAt(text, start)
	if month == 0 || e != k {
		return 0, 0, false
	}
	return start, end, validDate(number(text, i, j), month, year, end-l)
}

// skipOrdinal moves k past the st, nd, rd or th of "12th".
func skipOrdinal(text string, k int) int {
	if k+2 > len(text) || k+2 < len(text) && isLetter(text[k+2]) {
		return k
	}
	switch string([]byte{lower(text[k]), lower(text[k+1])}) {
	case "st", "nd", "rd", "th":
		return k + 2
	}
	return k
}

// yearAt reads a two- or four-digit year at text[k]; end-k says which.
func yearAt(text string, k int) (year, end int, ok bool) {
	end = digitsEnd(text, k)
	if end-k != 2 && end-k != 4 {
		return 0, 0, false
	}
	return number(text, k, end), end, true
}

// monthNames are the full names; any month may also be written as its first three letters, and September
// as Sept.
var monthNames = [...]string{"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december"}

// monthAt reads an English month name or its abbreviation at text[k]; month is 0 if there is none. It runs
// for every short number followed by a word ("25 patients"), so it rejects on the first three letters.
func monthAt(text string, k int) (month, end int) {
	if k >= len(text) {
		return 0, k
	}
	switch lower(text[k]) {
	case 'j', 'f', 'm', 'a', 's', 'o', 'n', 'd':
	default:
		return 0, k
	}
	end = k
	for end < len(text) && isLetter(text[end]) && end-k <= len("september") {
		end++
	}
	word := text[k:end]
	if len(word) < 3 {
		return 0, k
	}
	for m, name := range monthNames {
		if lower(word[0]) == name[0] && equalFold(word[:3], name[:3]) {
			if len(word) == 3 || equalFold(word, name) || m == 8 && equalFold(word, "sept") {
				return m + 1, end
			}
			return 0, k
		}
	}
	return 0, k
}

// validDate reports whether day and month exist in year. Four-digit years outside 1900-2099 belong to no
// living patient. A two-digit year divisible by 4 may be 2000, so it allows 29 February.
func validDate(day, month, year, yearDigits int) bool {
	if yearDigits == 4 && (year < 1900 || year > 2099) || month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [12]int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	leap := year%4 == 0 && (yearDigits == 2 || year != 1900)
	if month == 2 && !leap {
		days = 28
	}
	return day <= days
}

// Cues that mark a nearby date as a date of birth.
var cues = [...]struct {
	word string
	// adjacent cues count only right next to the date: "age" and "aged" are ordinary words in project
	// notes ("extract age"), and "b." is a lone letter.
	adjacent bool
	// age cues count after a date only when an age follows them, as in "12/03/1954 (aged 70)": a date then
	// "age" is more often a new phrase ("go live 03/04/2027, age check").
	age bool
}{
	{"date of birth", false, false}, {"birth date", false, false}, {"birthdate", false, false},
	{"d.o.b.", false, false}, {"d.o.b", false, false}, {"d/o/b", false, false}, {"dob", false, false},
	{"born on", false, false}, {"born", false, false},
	{"b.", true, false}, {"aged", true, true}, {"age", true, true},
}

// fillers are the words that may stand between a cue and its date: "DOB of patient is 12/03/1954",
// "12/03/1954 is the patient's DOB". Only these, so that a note about the DOB field and a project date
// ("check DOB format by 12/03/2027") is not a date of birth. "on" is only allowed in the cue "born on".
var fillers = [...]string{
	"is", "was", "of", "as", "the", "to", "be", "been", "should",
	"patient", "patients", "pt", "their", "his", "her",
	"recorded", "given", "listed", "shown", "stated", "entered", "noted", "reads",
	"corrected", "amended", "changed",
}

const (
	maxFillers = 3
	// cueWindow bounds the look either side of a date, so scanning stays linear whatever the text.
	cueWindow = 64
)

// nextToCue reports whether a cue stands within a few filler words before or after the date text[start:end],
// in the same clause.
func nextToCue(text string, start, end int) bool {
	return cueBefore(text, start) || cueAfter(text, end)
}

func cueBefore(text string, k int) bool {
	limit := max(k-cueWindow, 0)
	for words := 0; k > limit; words++ {
		for k > limit {
			w := gapBefore(text, k)
			if w == 0 {
				break
			}
			k -= w
		}
		if cueEndsAt(text, k, words > 0) {
			return true
		}
		if words == maxFillers {
			return false
		}
		start := wordStart(text, k)
		if start == k || start < limit || !isFiller(text[start:k]) {
			return false
		}
		k = start
	}
	return false
}

func cueAfter(text string, k int) bool {
	limit := min(k+cueWindow, len(text))
	for words := 0; k < limit; words++ {
		for k < limit {
			w := gapAt(text, k)
			if w == 0 {
				break
			}
			k += w
		}
		if cueStartsAt(text, k, words > 0) {
			return true
		}
		if words == maxFillers {
			return false
		}
		end := wordEnd(text, k)
		if end == k || end > limit || !isFiller(text[k:end]) {
			return false
		}
		k = end
	}
	return false
}

// cueEndsAt reports whether a whole cue word ends at text[k-1].
func cueEndsAt(text string, k int, afterFillers bool) bool {
	if k <= 0 || k < len(text) && isLetter(text[k]) {
		return false
	}
	switch lower(text[k-1]) {
	case 'b', 'd', 'e', 'h', 'n', '.':
	default:
		return false
	}
	for _, c := range cues {
		start := k - len(c.word)
		if start >= 0 && !(afterFillers && c.adjacent) && equalFold(text[start:k], c.word) &&
			(start == 0 || !isLetter(text[start-1])) {
			return true
		}
	}
	return false
}

// cueStartsAt reports whether a whole cue word starts at text[k].
func cueStartsAt(text string, k int, afterFillers bool) bool {
	if k >= len(text) || k > 0 && isLetter(text[k-1]) {
		return false
	}
	switch lower(text[k]) {
	case 'a', 'b', 'd':
	default:
		return false
	}
	for _, c := range cues {
		end := k + len(c.word)
		if !(afterFillers && c.adjacent) && hasPrefixFold(text, k, c.word) &&
			(end == len(text) || !isLetter(text[end])) {
			if !c.age {
				return true
			}
			if n := skipSpaces(text, end); n > end && n < len(text) && isDigit(text[n]) {
				return true
			}
		}
	}
	return false
}

// gapAt is the width in bytes of a character at text[k] that may sit between a cue and its date without
// ending the clause, 0 if there is none.
func gapAt(text string, k int) int {
	if k >= len(text) {
		return 0
	}
	switch text[k] {
	case ' ', '\t', ':', '-', '/', '(', ')', '[', ']', '=', '>', '"', '\'', '*':
		return 1
	}
	if w := spaceAt(text, k); w > 0 {
		return w
	}
	return dashAt(text, k)
}

// gapBefore is gapAt looking backwards from k.
func gapBefore(text string, k int) int {
	if k <= 0 {
		return 0
	}
	switch text[k-1] {
	case ' ', '\t', ':', '-', '/', '(', ')', '[', ']', '=', '>', '"', '\'', '*':
		return 1
	}
	if w := spaceBefore(text, k); w > 0 {
		return w
	}
	return dashBefore(text, k)
}

// A word is ASCII letters with apostrophes inside, so that "patient's" is one word.
const curlyApostrophe = "\u2019"

func wordEnd(text string, k int) int {
	for k < len(text) {
		switch {
		case isLetter(text[k]), text[k] == '\'':
			k++
		case hasPrefixFold(text, k, curlyApostrophe):
			k += len(curlyApostrophe)
		default:
			return k
		}
	}
	return k
}

func wordStart(text string, k int) int {
	for k > 0 {
		switch {
		case isLetter(text[k-1]), text[k-1] == '\'':
			k--
		case k >= len(curlyApostrophe) && text[k-len(curlyApostrophe):k] == curlyApostrophe:
			k -= len(curlyApostrophe)
		default:
			return k
		}
	}
	return k
}

func isFiller(word string) bool {
	for _, s := range [...]string{"'s", curlyApostrophe + "s"} {
		if n := len(word) - len(s); n > 0 && equalFold(word[n:], s) {
			word = word[:n]
		}
	}
	for _, f := range fillers {
		if equalFold(word, f) {
			return true
		}
	}
	return false
}
