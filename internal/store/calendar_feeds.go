package store

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// FeedKeyPrefix starts every calendar feed key, so secret scanners can recognise a leaked one.
const FeedKeyPrefix = "cal_"

// NewFeedKey returns a fresh calendar feed key: the prefix and 256 random bits.
func NewFeedKey() string { return newSecret(FeedKeyPrefix) }

// hashFeedKey is what is stored in place of a feed key.
func hashFeedKey(key string) []byte { return hashSecret(key) }

type calendarFeedRow struct {
	ID          uuid.UUID `gorm:"primaryKey"`
	OrgID       uuid.UUID
	MigrationID uuid.UUID
	Label       string
	Hash        []byte
	CreatedBy   string
	CreatedAt   time.Time
	RevokedAt   *time.Time
}

func (calendarFeedRow) TableName() string { return "calendar_feeds" }

func (r *calendarFeedRow) toDomain() cutover.CalendarFeed {
	return cutover.CalendarFeed{ID: r.ID, OrgID: r.OrgID, MigrationID: r.MigrationID, Label: r.Label,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), RevokedAt: utcPtr(r.RevokedAt)}
}

// CreateCalendarFeed adds a calendar feed with the given secret key to a migration the caller can
// see. Only the key's hash is written.
func (s *Store) CreateCalendarFeed(ctx context.Context, who cutover.Caller, migrationID uuid.UUID, label, key string) (f cutover.CalendarFeed, err error) {
	err = s.write(ctx, func(t *tx) error {
		m, err := loadMigration(t, who, migrationID, nil)
		if err != nil {
			return err
		}
		row := calendarFeedRow{ID: cutover.NewID(), OrgID: m.OrgID, MigrationID: m.ID, Label: label,
			Hash: hashFeedKey(key), CreatedBy: who.Name, CreatedAt: t.now}
		if err := t.db.Create(&row).Error; err != nil {
			return fmt.Errorf("insert calendar feed: %w", err)
		}
		f = row.toDomain()
		t.record(who, f.OrgID, "calendar_feed.created", "calendar_feed", f.ID, &m.ID, cutover.Created(f.Fields()))
		return nil
	})
	return f, err
}

// ListCalendarFeeds reads one page of a migration's live calendar feeds, oldest first.
func (s *Store) ListCalendarFeeds(ctx context.Context, who cutover.Caller, migrationID uuid.UUID, p Page) ([]cutover.CalendarFeed, string, error) {
	db := s.read.WithContext(ctx)
	q := scoped(db, who).Where("migration_id = ? AND revoked_at IS NULL", migrationID)
	out, next, err := pageByID(q, p, "calendar-feeds", "list calendar feeds", func(r *calendarFeedRow) uuid.UUID { return r.ID }, (*calendarFeedRow).toDomain)
	if err == nil && len(out) == 0 {
		err = s.migrationVisible(ctx, who, migrationID) // an empty page: no such migration, or none yet
	}
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// RevokeCalendarFeed revokes a live calendar feed of a migration the caller can see; an unknown or
// already revoked feed is cutover.ErrNotFound.
func (s *Store) RevokeCalendarFeed(ctx context.Context, who cutover.Caller, migrationID, id uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		m, err := loadMigration(t, who, migrationID, nil)
		if err != nil {
			return err
		}
		var row calendarFeedRow
		if err := t.db.Where("id = ? AND migration_id = ? AND revoked_at IS NULL", id, m.ID).Take(&row).Error; err != nil {
			return notFoundOr(err, "load calendar feed")
		}
		before := row.toDomain()
		now := t.now
		res := t.db.Model(&calendarFeedRow{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now)
		switch {
		case res.Error != nil:
			return fmt.Errorf("revoke calendar feed: %w", res.Error)
		case res.RowsAffected == 0:
			return cutover.ErrNotFound
		}
		after := before
		after.RevokedAt = &now
		t.record(who, m.OrgID, "calendar_feed.revoked", "calendar_feed", id, &m.ID, cutover.Diff(before.Fields(), after.Fields()))
		return nil
	})
}

// FeedSnapshot reads the snapshot of the migration behind a live calendar feed whose key matches.
// There is no caller: the key is the credential. An unknown feed, a wrong key and a revoked feed
// are all cutover.ErrNotFound, so the answer tells nothing about which feeds exist.
func (s *Store) FeedSnapshot(ctx context.Context, feedID uuid.UUID, key string) (Snapshot, error) {
	var snap Snapshot
	err := s.read.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		var feed calendarFeedRow
		if err := db.Where("id = ? AND revoked_at IS NULL", feedID).Take(&feed).Error; err != nil {
			return notFoundOr(err, "load calendar feed")
		}
		if subtle.ConstantTimeCompare(feed.Hash, hashFeedKey(key)) != 1 {
			return cutover.ErrNotFound
		}
		var row migrationRow
		if err := db.Where("id = ? AND org_id = ?", feed.MigrationID, feed.OrgID).Take(&row).Error; err != nil {
			return notFoundOr(err, "load migration")
		}
		var err error
		snap, err = readSnapshot(db, row.toDomain())
		return err
	})
	return snap, err
}
