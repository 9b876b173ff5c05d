package patientguard

import "testing"

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Checked patient 943 476 5919 record", "Checked patient [NHS number removed] record"},
		{"Patient DOB: 12/03/1954 mismatch", "Patient DOB: [date of birth removed] mismatch"},
		{"9434765919 and 4010232137", "[NHS number removed] and [NHS number removed]"},
		{"FDP moved to 12/03/2027", "FDP moved to 12/03/2027"},
		{"", ""},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
