package patientguard

import (
	"slices"
	"testing"
)

func FuzzScan(f *testing.F) {
	for _, tc := range scanCases {
		f.Add(tc.text)
	}
	for _, s := range []string{
		"9", "94347659", "943 476 591", "943 476 5919 ", " 943 476 5919", "943 476 59199",
		"943\u00a0476", "943\xc2", "943\xe2\x80", "943 \xe2\x80\x93476", "\xe2\x80\x99s DOB 1/1/00",
		"DOB 1/1/", "DOB 1/1/1", "DOB 31 Dec", "DOB 31 Dec ", "DOB 31 December,", "March 1", "Mar. ",
		"born September", ".1/1/11", "1/1/11.", "b.", "b.1", "age", "’", "'s DOB 1 Jan 00", "(0)",
		"(0)9434765919", "+44 (0) 113 496 0018", "9434765919\u202f1", "1—9434765919",
		"DOB " + string(make([]byte, 80)) + "12/03/1954", "1/1/11 1/1/11 1/1/11 DOB",
		cleanNote(), noteWithHits(),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		found := Scan(text)
		last := 0
		for _, x := range found {
			if x.Start < last || x.Start >= x.End || x.End > len(text) {
				t.Fatalf("Scan(%q): span %d-%d after %d: outside the text, unsorted or overlapping", text, x.Start, x.End, last)
			}
			last = x.End
			span := text[x.Start:x.End]
			switch x.Kind {
			case NHSNumber:
				var d [10]byte
				n := 0
				for i := 0; i < len(span); i++ {
					if isDigit(span[i]) {
						if n == len(d) {
							t.Fatalf("Scan(%q): NHS number %q has more than ten digits", text, span)
						}
						d[n] = span[i] - '0'
						n++
					}
				}
				if n != len(d) || !validNHSNumber(d) {
					t.Fatalf("Scan(%q): NHS number %q fails the modulus 11 check", text, span)
				}
				// A number found in context is found on its own: the context only ever takes matches away.
				if alone := Scan(span); !slices.Equal(alone, []Finding{{NHSNumber, 0, len(span)}}) {
					t.Fatalf("Scan(%q) found NHS number %q, which alone gives %v", text, span, alone)
				}
			case DateOfBirth:
				if !isDigit(span[len(span)-1]) {
					t.Fatalf("Scan(%q): date %q does not end with its year", text, span)
				}
				if again := Scan("DOB " + span); !slices.Equal(again, []Finding{{DateOfBirth, 4, 4 + len(span)}}) {
					t.Fatalf("Scan(%q) found date %q, which after a plain cue gives %v", text, span, again)
				}
			default:
				t.Fatalf("Scan(%q): unknown kind %q", text, x.Kind)
			}
		}
		if again := Scan(text); !slices.Equal(again, found) {
			t.Fatalf("Scan(%q) is not deterministic: %v then %v", text, found, again)
		}
	})
}
