package patientguard

import (
	"strings"
	"testing"
)

// cleanNote is a realistic 4 KiB task note with dates, phone numbers and references but no identifiers.
func cleanNote() string {
	const para = "Go live 2027-04-01, 09:00. FDP moved to 12/03/2027 after the ICB call. Sample of 25 " +
		"patients checked, all fine. Ring the helpdesk on 01134960000 or call 0113 496 0000 if the MESH " +
		"mailbox X26OT123 stops. Ticket 1234567890 raised with supplier; Ref INC0012345. QOF points 532.4 " +
		"match the old system. Order 12345 placed for 3 scanners. Room 3/7 booked for training on 14 May " +
		"2027. v2.3.4 of the adaptor is installed at ODS A81001. DOB and NHS number fields reconciled.\n"
	return strings.Repeat(para, 4096/len(para)+1)[:4096]
}

// noteWithHits is cleanNote with an NHS number and a date of birth in every few hundred bytes.
func noteWithHits() string {
	text := cleanNote()
	var b strings.Builder
	for i := 0; i < len(text); i += 512 {
		b.WriteString(text[i:min(i+512, len(text))])
		b.WriteString(" Patient 943 476 5919 DOB 12/03/1954. ")
	}
	return b.String()[:4096]
}

func BenchmarkScan4KiB(b *testing.B) {
	text := cleanNote()
	if got := Scan(text); got != nil {
		b.Fatalf("the clean note has findings: %v", got)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Scan(text)
	}
}

func BenchmarkScan4KiBWithHits(b *testing.B) {
	text := noteWithHits()
	if got := Scan(text); len(got) < 8 {
		b.Fatalf("the note with hits has %d findings, want at least 8", len(got))
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Scan(text)
	}
}
