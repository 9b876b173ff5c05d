package patientguard

import "strings"

// Redact returns text with every identifier Scan finds replaced by a placeholder naming its kind,
// such as "[NHS number removed]". It is for copies of accepted text that must not carry the value
// further, such as the audit trail of a server running in warn mode.
func Redact(text string) string {
	found := Scan(text)
	if len(found) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, f := range found {
		b.WriteString(text[last:f.Start])
		b.WriteString(placeholder(f.Kind))
		last = f.End
	}
	b.WriteString(text[last:])
	return b.String()
}

func placeholder(k Kind) string {
	switch k {
	case NHSNumber:
		return "[NHS number removed]"
	case DateOfBirth:
		return "[date of birth removed]"
	}
	return "[patient identifier removed]"
}
