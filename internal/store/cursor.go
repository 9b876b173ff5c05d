package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Page asks for one page of a list: at most Limit items after Cursor (from a previous page's
// next cursor; empty for the first page).
type Page struct {
	Limit  int
	Cursor string
}

// limit returns the page size, defaulting and capping as the API promises.
func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > 200:
		return 200
	}
	return p.Limit
}

// cursor is the last sort key of a page. It is opaque to clients (base64url JSON) and carries the
// kind of list it belongs to, so a cursor from one list given to another is refused.
type cursor struct {
	Kind string    `json:"k"`
	ID   uuid.UUID `json:"i,omitzero"`
	Seq  int64     `json:"s,omitempty"`
	A    int       `json:"a,omitempty"` // e.g. a task's stage position
	B    int       `json:"b,omitempty"` // e.g. a task's position
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // a struct of plain fields always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = cutover.BadRequest(cutover.FieldError{Field: "cursor",
	Message: "is not a cursor this list gave out; pass next_cursor from the previous page unchanged"})

// decodeCursor reads a page cursor of the given kind; the zero cursor for an empty string.
func decodeCursor(s, kind string) (cursor, error) {
	if s == "" {
		return cursor{Kind: kind}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, errBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Kind != kind {
		return cursor{}, errBadCursor
	}
	return c, nil
}

// nextCursor trims a result fetched with one extra row and returns the cursor of the next page
// ("" when this is the last).
func nextCursor[T any](rows []T, limit int, key func(*T) cursor) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, key(&rows[limit-1]).encode()
}

// pageByID reads the page of q's rows that follows p's cursor, in id order (ids are UUIDv7, so
// that is creation order): how every list without an order of its own pages. doing names the
// list in a database error; a bad cursor is returned as it is.
func pageByID[R any, D any](q *gorm.DB, p Page, kind, doing string, id func(*R) uuid.UUID, toDomain func(*R) D) ([]D, string, error) {
	cur, err := decodeCursor(p.Cursor, kind)
	if err != nil {
		return nil, "", err
	}
	if cur.ID != uuid.Nil {
		q = q.Where("id > ?", cur.ID)
	}
	var rows []R
	limit := p.limit()
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("%s: %w", doing, err)
	}
	rows, next := nextCursor(rows, limit, func(r *R) cursor { return cursor{Kind: kind, ID: id(r)} })
	out := make([]D, len(rows))
	for i := range rows {
		out[i] = toDomain(&rows[i])
	}
	return out, next, nil
}
