package patientguard

import (
	"slices"
	"testing"
)

// hit is an expected finding, given by the exact text it must span rather than by offsets.
type hit struct {
	kind Kind
	span string
}

func nhs(span string) hit { return hit{NHSNumber, span} }
func dob(span string) hit { return hit{DateOfBirth, span} }

// scanCases is shared with the fuzz test as its seed corpus.
var scanCases = []struct {
	name string
	text string
	want []hit
}{
	// NHS numbers that must be reported.
	{"spaced in a sentence", "Checked patient 943 476 5919 record", []hit{nhs("943 476 5919")}},
	{"hyphenated", "nhs no 943-476-5919 ok", []hit{nhs("943-476-5919")}},
	{"together", "9434765919", []hit{nhs("9434765919")}},
	{"dotted", "943.476.5919", []hit{nhs("943.476.5919")}},
	{"another valid number", "4010232137", []hit{nhs("4010232137")}},
	{"glued to letters", "NHS9434765919", []hit{nhs("9434765919")}},
	{"letters after", "9434765919NHS", []hit{nhs("9434765919")}},
	{"en dashes", "943–476–5919", []hit{nhs("943–476–5919")}},
	{"em dashes", "no. 943—476—5919", []hit{nhs("943—476—5919")}},
	{"minus signs", "943−476−5919", []hit{nhs("943−476−5919")}},
	{"no-break spaces", "nhs 943\u00a0476\u00a05919", []hit{nhs("943\u00a0476\u00a05919")}},
	{"narrow no-break spaces", "943\u202f476\u202f5919", []hit{nhs("943\u202f476\u202f5919")}},
	{"double spaces", "943  476  5919", []hit{nhs("943  476  5919")}},
	{"mixed separators", "943 476-5919", []hit{nhs("943 476-5919")}},
	{"end of sentence", "Ref: 9434765919. 2 more to check", []hit{nhs("9434765919")}},
	{"two in a list", "Patients 9434765919, 4010232137", []hit{nhs("9434765919"), nhs("4010232137")}},
	{"check digit from 11 is 0", "see 9876543210 again", []hit{nhs("9876543210")}},
	{"after emoji and accents", "Zoë Ñandú 🙂 943 476 5919", []hit{nhs("943 476 5919")}},
	{"among invalid UTF-8", "\xff\xfe 9434765919 \xc2", []hit{nhs("9434765919")}},
	{"in brackets", "(9434765919)", []hit{nhs("9434765919")}},
	{"after a date", "Called 12/03/2027 9434765919 re registration", []hit{nhs("9434765919")}},
	{"before a time", "9434765919 09:00", []hit{nhs("9434765919")}},
	{"before a date", "943 476 5919 12/03/2027", []hit{nhs("943 476 5919")}},
	{"two together", "9434765919 4010232137", []hit{nhs("9434765919"), nhs("4010232137")}},
	{"after an eleven-digit phone", "01134960000 9434765919", []hit{nhs("9434765919")}},
	{"in a CSV line", "x,9434765919,y", []hit{nhs("9434765919")}},

	// Dates of birth that must be reported.
	{"DOB colon", "Patient DOB: 12/03/1954 mismatch", []hit{dob("12/03/1954")}},
	{"born, short year", "born 3/7/61", []hit{dob("3/7/61")}},
	{"D.O.B with month abbreviation", "D.O.B 12 Mar 54", []hit{dob("12 Mar 54")}},
	{"date of birth ISO", "date of birth 1954-03-12", []hit{dob("1954-03-12")}},
	{"aged then born", "aged 70, born 12 March 1954", []hit{dob("12 March 1954")}},
	{"hyphens", "DOB 12-03-1954", []hit{dob("12-03-1954")}},
	{"dots", "dob 12.03.1954", []hit{dob("12.03.1954")}},
	{"ordinal", "Born 12th March 1954", []hit{dob("12th March 1954")}},
	{"ordinal of", "born 12th of March 1954", []hit{dob("12th of March 1954")}},
	{"month first", "born March 12 1954", []hit{dob("March 12 1954")}},
	{"month first with comma", "Date of Birth: March 12, 1954", []hit{dob("March 12, 1954")}},
	{"abbreviation with full stop", "DOB 12 Mar. 1954", []hit{dob("12 Mar. 1954")}},
	{"hyphenated month name", "d/o/b 12-Mar-1954", []hit{dob("12-Mar-1954")}},
	{"cue after the date", "12/03/1954 (DOB)", []hit{dob("12/03/1954")}},
	{"cue after fillers", "12th March 1954 is the patient's DOB", []hit{dob("12th March 1954")}},
	{"curly apostrophe", "12/03/1954 is the patient’s DOB", []hit{dob("12/03/1954")}},
	{"fillers before", "DOB of patient is 12/03/1954", []hit{dob("12/03/1954")}},
	{"b dot", "Mr X b. 12/03/1954", []hit{dob("12/03/1954")}},
	{"b dot glued", "b.12/3/54", []hit{dob("12/3/54")}},
	{"slash after cue", "NHS/DOB/12/03/1954", []hit{dob("12/03/1954")}},
	{"age after the date", "05/11/1990 age 34", []hit{dob("05/11/1990")}},
	{"glued to cue", "DOB:12/03/1954", []hit{dob("12/03/1954")}},
	{"aged after the date", "12/03/1954 (aged 70)", []hit{dob("12/03/1954")}},
	{"leap day", "birth date 29/02/1952", []hit{dob("29/02/1952")}},
	{"birthdate slashes ISO", "Birthdate 1954/03/12", []hit{dob("1954/03/12")}},
	{"American order", "DOB 03/25/1954", []hit{dob("03/25/1954")}},
	{"born on", "born on 1 Jan 2000", []hit{dob("1 Jan 2000")}},
	{"recorded as", "DOB recorded as 12/03/1954", []hit{dob("12/03/1954")}},
	{"no-break space after cue", "DOB\u00a012/03/1954", []hit{dob("12/03/1954")}},
	{"DOB then NHS number", "DOB 12/03/1954 943 476 5919", []hit{dob("12/03/1954"), nhs("943 476 5919")}},
	{"NHS number then DOB after", "Mrs X 9434765919 12/03/1954 (DOB)", []hit{nhs("9434765919"), dob("12/03/1954")}},
	{"both kinds in order", "Pt 943 476 5919 DOB 12/03/1954", []hit{nhs("943 476 5919"), dob("12/03/1954")}},

	// Must not be reported.
	{"bad check digit", "Ticket 1234567890 raised with supplier", nil},
	{"another bad check digit", "9434765918", nil},
	{"eleven-digit phone", "Ring the helpdesk on 01134960000", nil},
	{"spaced phone", "call 0113 496 0000", nil},
	{"international phone", "call +44 113 496 0018", nil},
	{"phone with trunk zero", "call +44 (0)113 496 0018", nil},
	{"mobile", "call 07700 900123", nil},
	{"project date", "FDP moved to 12/03/2027", nil},
	{"short project date", "go live 3/7/27", nil},
	{"patients counted", "Sample of 25 patients checked, all fine", nil},
	{"digit after", "9434765919 1", nil},
	{"group after", "943 476 5919 1", nil},
	{"digit before", "19434765919", nil},
	{"group before", "1 943 476 5919", nil},
	{"slashes", "943/476/5919", nil},
	{"reference with slash", "ticket 12/9434765919", nil},
	{"decimal", "9434765919.5", nil},
	{"decimal fraction", "0.9434765919", nil},
	{"table columns", "943    476    5919", nil},
	{"3-7 grouping", "943 4765919", nil},
	{"space around hyphen", "943 - 476 - 5919", nil},
	{"impossible date", "DOB 31/02/1954", nil},
	{"not a leap year", "DOB 29/02/1900", nil},
	{"cue alone", "DOB field mapping checked", nil},
	{"DOB field and a project date", "Check DOB format on 12/03/2027", nil},
	{"cue in the previous sentence", "DOB checks done. Go live 12/03/2027", nil},
	{"cue across a line break", "Check DOB\n12/03/2027 go live", nil},
	{"age after a comma", "Go live 12/03/2027, age of extract 2 days", nil},
	{"age after a date with no age", "Go live 03/04/2027 age check", nil},
	{"age with words between", "extract age at cutover 12/03/2027", nil},
	{"plural DOBs", "DOBs checked on 12/03/2027", nil},
	{"newborn", "Newborn checks from 12/03/2027", nil},
	{"stage", "Stage 12/03/2027", nil},
	{"go live with time", "Go live 2027-04-01, 09:00", nil},
	{"decimal points", "QOF points 532.4 match", nil},
	{"incident", "Ref INC0012345", nil},
	{"order", "Order 12345 placed", nil},
	{"room", "Room 3/7 booked", nil},
	{"version", "v2.3.4 of the adaptor", nil},
	{"version with cue", "born v1.2.33", nil},
	{"mailbox", "MESH mailbox X26OT123", nil},
	{"ODS code", "ODS A81001", nil},
	{"year before the cue's date", "1954 born", nil},
	{"month with no year", "born 12 March", nil},
	{"five-digit year", "born 12/03/19545", nil},
	{"year out of range", "DOB 12/03/1854", nil},
	{"empty", "", nil},
}

func TestScan(t *testing.T) {
	for _, tc := range scanCases {
		t.Run(tc.name, func(t *testing.T) {
			var got []hit
			for _, f := range Scan(tc.text) {
				if f.Start < 0 || f.Start >= f.End || f.End > len(tc.text) {
					t.Fatalf("Scan(%q): span %d-%d outside the text", tc.text, f.Start, f.End)
				}
				got = append(got, hit{f.Kind, tc.text[f.Start:f.End]})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Scan(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

// TestScanProjectNotes holds ordinary notes that must pass: every false alarm here is a user blocked from
// writing a legitimate note.
func TestScanProjectNotes(t *testing.T) {
	for _, note := range []string{
		"FDP moved to 12/03/2027",
		"sample of 25 patients checked",
		"call 0113 496 0000",
		"Ring the helpdesk on 01134960000",
		"Ticket 1234567890 raised with supplier",
		"Sample of 25 patients checked, all fine",
		"Go live 2027-04-01, 09:00",
		"QOF points 532.4 match",
		"Ref INC0012345",
		"Order 12345 placed",
		"Room 3/7 booked",
		"v2.3.4 of the adaptor",
		"call 07700 900123",
		"MESH mailbox X26OT123",
		"ODS A81001",
		"Patients aged 65 and over moved to the new recall list on 01/04/2027",
		"84 year old patients are in the housebound cohort, 312 records",
		"Practice moves to LS1 4AP on 12 May 2027; date of birth field mapping signed off",
		"Born-digital records: 1,204 letters migrated by 3 March 2027",
		"Data age 3 days, extract taken 2027-03-12 at 18:00",
		"Smartcard 7654 3210 9876 issued; RA ticket 4010232136",
		"Cut-over weekend 27/03/2027 - 29/03/2027, 08:00-17:00, tel 020 7946 0000",
		"Validate DOB and NHS number fields by 12/03/2027",
		"Patient list size 9,876; 1.2% duplicates; budget £12,345.67",
		"Meeting 14:30 on Tue 3rd; see doc v10.2.1, section 4.3.2",
	} {
		if got := Scan(note); got != nil {
			t.Errorf("Scan(%q) = %v, want nothing", note, got)
		}
	}
}

func TestScanFields(t *testing.T) {
	got := ScanFields(
		Field{Name: "title", Text: "Reconcile registrations"},
		Field{Name: "notes", Text: "Patient DOB: 12/03/1954, NHS 943 476 5919"},
		Field{Name: "tasks[3].title", Text: "nhs no 4010232137"},
	)
	want := []FieldFinding{
		{Field: "notes", Finding: Finding{Kind: DateOfBirth, Start: 13, End: 23}},
		{Field: "notes", Finding: Finding{Kind: NHSNumber, Start: 29, End: 41}},
		{Field: "tasks[3].title", Finding: Finding{Kind: NHSNumber, Start: 7, End: 17}},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ScanFields = %v, want %v", got, want)
	}
	if got := ScanFields(Field{Name: "notes", Text: "all fine"}); got != nil {
		t.Errorf("ScanFields with nothing to find = %v, want nil", got)
	}
}

func TestValidNHSNumber(t *testing.T) {
	for _, tc := range []struct {
		number string
		want   bool
	}{
		{"9434765919", true},
		{"4010232137", true},
		{"9876543210", true},  // 11 - 0 = 11, which becomes check digit 0
		{"9876543211", false}, // the same nine digits allow only 0
		{"1234567890", false}, // 11 - 1 = 10: no check digit can match
		{"1234567891", false},
		{"1234567899", false},
		{"9434765918", false},
		{"4010232138", false},
		{"1134960018", true}, // the digits of a phone number can pass: hence the checks around a match
	} {
		var d [10]byte
		for n := range d {
			d[n] = tc.number[n] - '0'
		}
		if got := validNHSNumber(d); got != tc.want {
			t.Errorf("validNHSNumber(%s) = %v, want %v", tc.number, got, tc.want)
		}
	}
}

func TestKindDescription(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		want string
	}{
		{NHSNumber, "looks like an NHS number"},
		{DateOfBirth, "looks like a date of birth"},
		{Kind("other"), "looks like a patient identifier"},
	} {
		if got := tc.kind.Description(); got != tc.want {
			t.Errorf("%q.Description() = %q, want %q", tc.kind, got, tc.want)
		}
	}
}

func TestScanAllocatesNothingWhenClean(t *testing.T) {
	text := cleanNote()
	if n := testing.AllocsPerRun(100, func() { Scan(text) }); n != 0 {
		t.Errorf("Scan of a clean note allocates %v times, want 0", n)
	}
}
