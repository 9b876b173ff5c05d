package checklist

import "slices"

// Role is a person, team or organisation that owns tasks or signs stages off. Key is the stable name the
// API uses; Name is how the migration guide's "Who is involved" lists say it.
type Role struct {
	Key  string
	Name string
}

// roles follow the order of the migration guide's role table (section 4): the practice's own people
// first, then its partners, then suppliers and outside services.
var roles = []Role{
	{"project_manager", "project manager"},
	{"practice_manager", "practice manager"},
	{"practice_staff", "practice staff"},
	{"lead_gp", "lead GP or lead clinician"},
	{"clinical_staff", "clinical staff, including those working remotely"},
	{"icb", "integrated care board (ICB)"},
	{"delivery_partner", "IT delivery partner (such as a commissioning support unit)"},
	{"it_lead", "IT lead"},
	{"trainer", "trainers"},
	{"nhse_information_governance", "NHS England Information Governance team"},
	{"current_supplier", "current clinical system supplier"},
	{"new_supplier", "new clinical system supplier"},
	{"third_party_supplier", "third-party system suppliers"},
	{"pathology_lab", "pathology labs providers"},
	{"linked_service", "linked services"},
	{"pcse", "Primary Care Support England (PCSE)"},
}

// Roles returns every role in the guide's order. The slice is a copy: changing it changes nothing here.
func Roles() []Role {
	return slices.Clone(roles)
}

// IsRole reports whether key is a known role key.
func IsRole(key string) bool {
	return slices.ContainsFunc(roles, func(r Role) bool { return r.Key == key })
}
