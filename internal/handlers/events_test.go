package handlers_test

type event struct {
	ID          string  `json:"id"`
	Sequence    int64   `json:"sequence"`
	Actor       string  `json:"actor"`
	Action      string  `json:"action"`
	MigrationID *string `json:"migration_id"`
	Resource    struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"resource"`
	Changes map[string]struct {
		From any `json:"from"`
		To   any `json:"to"`
	} `json:"changes"`
}
