package patientguard

import "strings"

// nhsNumberAt returns the end of the NHS number that starts with the digit run text[i:j], either all ten
// digits or the first group of three.
func nhsNumberAt(text string, i, j int) (int, bool) {
	var digits [10]byte
	end := j
	switch j - i {
	case 10:
		copy(digits[:], text[i:j])
	case 3:
		copy(digits[:3], text[i:j])
		k := j + groupSepAt(text, j)
		if k == j || digitsEnd(text, k)-k != 3 {
			return 0, false
		}
		copy(digits[3:6], text[k:k+3])
		k += 3
		l := k + groupSepAt(text, k)
		if l == k || digitsEnd(text, l)-l != 4 {
			return 0, false
		}
		copy(digits[6:], text[l:l+4])
		end = l + 4
	default:
		return 0, false
	}
	if continuesBefore(text, i) || continuesAfter(text, end) || afterTrunkZero(text, i) {
		return 0, false
	}
	for n := range digits {
		digits[n] -= '0'
	}
	return end, validNHSNumber(digits)
}

// validNHSNumber applies the NHS modulus 11 check to ten digit values (0-9, not ASCII).
func validNHSNumber(d [10]byte) bool {
	sum := 0
	for n := range 9 {
		sum += int(d[n]) * (10 - n)
	}
	check := 11 - sum%11
	switch check {
	case 11:
		check = 0
	case 10:
		return false // no NHS number is ever issued with this result
	}
	return int(d[9]) == check
}

// groupSepAt is the width in bytes of a separator between digit groups at text[k], 0 if there is none.
// More than three spaces is a gap between table columns, not a grouping.
func groupSepAt(text string, k int) int {
	if k >= len(text) {
		return 0
	}
	if text[k] == '-' || text[k] == '.' {
		return 1
	}
	if w := dashAt(text, k); w > 0 {
		return w
	}
	l := skipSpaces(text, k)
	if spaceAt(text, l) > 0 {
		return 0
	}
	return l - k
}

// groupSepBefore is groupSepAt looking backwards from k.
func groupSepBefore(text string, k int) int {
	if k <= 0 {
		return 0
	}
	if text[k-1] == '-' || text[k-1] == '.' {
		return 1
	}
	if w := dashBefore(text, k); w > 0 {
		return w
	}
	l := skipSpacesBack(text, k)
	if spaceBefore(text, l) > 0 {
		return 0
	}
	return k - l
}

// continuesBefore reports whether the number starting at i is the tail of a longer run of digit groups,
// such as a phone number or a reference, joined by a group separator or a slash.
func continuesBefore(text string, i int) bool {
	w := groupSepBefore(text, i)
	if w == 0 && i > 0 && text[i-1] == '/' {
		w = 1
	}
	k := i - w
	if w == 0 || k == 0 || !isDigit(text[k-1]) {
		return false
	}
	if spaceAt(text, k) == 0 {
		return true
	}
	g := k - 1
	for g > 0 && k-g < 10 && isDigit(text[g-1]) {
		g--
	}
	return k-g < 10 && !(g >= 2 && isJoiner(text[g-1]) && isDigit(text[g-2]))
}

// continuesAfter reports whether the number ending at end goes on into more digit groups ("943 476 5919 1").
// A full stop then a space ends a sentence, not a group, so "9434765919. 2 more" still ends at the 9.
func continuesAfter(text string, end int) bool {
	w := groupSepAt(text, end)
	if w == 0 && end < len(text) && text[end] == '/' {
		w = 1
	}
	k := end + w
	if w == 0 || k >= len(text) || !isDigit(text[k]) {
		return false
	}
	if spaceAt(text, end) == 0 {
		return true
	}
	g := digitsEnd(text, k)
	return g-k < 10 && !(g+1 < len(text) && isJoiner(text[g]) && isDigit(text[g+1]))
}

// isJoiner reports whether c joins digits into a date, a time, a decimal or a range. Beyond a space, a group
// like that is a separate value ("12/03/2027 9434765919", "9434765919 09:00"), not more of the number; so is
// a group of ten digits or more ("9434765919 4010232137"): phone numbers and references group shorter.
func isJoiner(c byte) bool { return c == '/' || c == ':' || c == '.' || c == '-' }

// afterTrunkZero reports whether the digits at i follow "(0)": "+44 (0)113 496 0000" is a phone number whose
// last ten digits may happen to pass the check.
func afterTrunkZero(text string, i int) bool {
	return strings.HasSuffix(text[:skipSpacesBack(text, i)], "(0)")
}
