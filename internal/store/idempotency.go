package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// IdempotencyTTL is how long a key's response is kept for replays.
const IdempotencyTTL = 24 * time.Hour

// The states of an idempotency key.
const (
	// KeyInProgress: a request holds the key under a lease; nothing is committed yet.
	KeyInProgress = "in_progress"
	// KeyCommitted: the request's change committed (the key row was updated in its transaction)
	// but its response is not stored yet. It can never run again.
	KeyCommitted = "committed"
	// KeyDone: the response is stored and is what every retry gets.
	KeyDone = "done"
)

type idempotencyRow struct {
	TokenID      uuid.UUID `gorm:"primaryKey"`
	IdemKey      string    `gorm:"primaryKey"`
	RequestHash  []byte
	State        string
	Owner        uuid.UUID
	LeaseUntil   *time.Time
	ResourceType *string
	ResourceID   uuid.NullUUID
	Status       *int
	Response     []byte
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

// IdempotencyClaim is a request's hold on an idempotency key. Put it in the request's context
// with WithIdempotencyClaim: the write the request makes then marks the key committed in its own
// transaction, so the change and the key's "it happened" commit together, and a claim that was
// lost (its lease ran out and another request took the key over) makes the write fail instead of
// doing the work twice.
type IdempotencyClaim struct {
	TokenID   uuid.UUID
	Key       string
	Owner     uuid.UUID
	mu        sync.Mutex
	committed bool
}

// Committed reports whether a write of the request committed under this claim.
func (c *IdempotencyClaim) Committed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.committed
}

// IdempotencyRecord is the state of a key someone else holds or has finished with.
type IdempotencyRecord struct {
	State        string
	RequestHash  []byte
	LeaseUntil   *time.Time
	ResourceType string     // the resource the committed request changed, for a lost response
	ResourceID   *uuid.UUID //
	Status       int
	Response     []byte // as given to CompleteIdempotencyKey
}

// Live reports whether the holder of the key may still finish: its lease has not run out.
func (r *IdempotencyRecord) Live(now time.Time) bool {
	return r.LeaseUntil != nil && now.Before(*r.LeaseUntil)
}

type claimKey struct{}

// WithIdempotencyClaim returns a context whose writes confirm the claim in their transaction.
func WithIdempotencyClaim(ctx context.Context, c *IdempotencyClaim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

func claimFrom(ctx context.Context) *IdempotencyClaim {
	c, _ := ctx.Value(claimKey{}).(*IdempotencyClaim)
	return c
}

// withoutClaim is for the key table's own writes, which must not confirm the claim.
func withoutClaim(ctx context.Context) context.Context {
	return context.WithValue(ctx, claimKey{}, (*IdempotencyClaim)(nil))
}

// errClaimLost is a write whose idempotency claim another request took over after its lease ran
// out: that request is doing the work now, so this one must not.
var errClaimLost = &cutover.ConflictError{Kind: "idempotency-key-in-use", Title: "The idempotency key is in use",
	Detail: "Another request with this Idempotency-Key took over while this one was running; nothing was changed by this one. Retry to get its response."}

// confirmClaim marks the claim's key committed inside the write's transaction. It runs in flush,
// after the request's own changes and before the commit, so either both commit or neither does.
func (t *tx) confirmClaim() error {
	c := t.claim
	if c == nil {
		return nil
	}
	upd := map[string]any{"state": KeyCommitted}
	if len(t.events) > 0 {
		// What the request changed, so that a retry that finds the response lost can say where
		// the result is.
		upd["resource_type"] = t.events[0].ResourceType
		upd["resource_id"] = t.events[0].ResourceID
	}
	res := t.db.Model(&idempotencyRow{}).
		Where("token_id = ? AND idem_key = ? AND owner = ? AND state IN ?", c.TokenID, c.Key, c.Owner, []string{KeyInProgress, KeyCommitted}).
		Updates(upd)
	switch {
	case res.Error != nil:
		return fmt.Errorf("confirm idempotency key: %w", res.Error)
	case res.RowsAffected == 0:
		return errClaimLost
	}
	t.afterCommit(func() {
		c.mu.Lock()
		c.committed = true
		c.mu.Unlock()
	})
	return nil
}

// ClaimIdempotencyKey tries to take key for the caller's token, for a request whose hash is
// hash, for lease. It returns the claim when the key was free (new, expired, or held by a request
// whose lease ran out before it committed anything); otherwise the record of whoever has it.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, tokenID uuid.UUID, key string, hash []byte, lease time.Duration) (*IdempotencyClaim, *IdempotencyRecord, error) {
	var claim *IdempotencyClaim
	var rec *IdempotencyRecord
	err := s.write(withoutClaim(ctx), func(t *tx) error {
		claim, rec = nil, nil
		now := t.now
		if err := s.purgeIdempotencyKeys(t); err != nil {
			return err
		}
		c := &IdempotencyClaim{TokenID: tokenID, Key: key, Owner: cutover.NewID()}
		leaseUntil := now.Add(lease)
		row := idempotencyRow{TokenID: tokenID, IdemKey: key, RequestHash: hash, State: KeyInProgress, Owner: c.Owner,
			LeaseUntil: &leaseUntil, CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL)}
		// The primary key decides between concurrent first requests: one INSERT wins.
		res := t.db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return fmt.Errorf("claim idempotency key: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			claim = c
			return nil
		}
		var cur idempotencyRow
		q := t.db.Where("token_id = ? AND idem_key = ?", tokenID, key)
		if t.s.dialect == Postgres {
			q = q.Clauses(forUpdate)
		}
		if err := q.Take(&cur).Error; err != nil {
			return notFoundOr(err, "load idempotency key")
		}
		takeover := false
		switch {
		case !now.Before(cur.ExpiresAt):
			takeover = true // expired: as good as absent
		case cur.State == KeyInProgress && (cur.LeaseUntil == nil || !now.Before(*cur.LeaseUntil)) && string(cur.RequestHash) == string(hash):
			// Its holder stopped before committing anything (a crash, a lost connection), so
			// the request may run again. A committed key is never taken over.
			takeover = true
		}
		if !takeover {
			rec = cur.record()
			return nil
		}
		res = t.db.Model(&idempotencyRow{}).
			Where("token_id = ? AND idem_key = ? AND owner = ? AND (state = ? OR expires_at <= ?)", tokenID, key, cur.Owner, KeyInProgress, now).
			Updates(map[string]any{"request_hash": hash, "state": KeyInProgress, "owner": c.Owner, "lease_until": leaseUntil,
				"resource_type": nil, "resource_id": nil, "status": nil, "response": nil, "created_at": now, "expires_at": now.Add(IdempotencyTTL)})
		if res.Error != nil {
			return fmt.Errorf("take over idempotency key: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			claim = c
			return nil
		}
		rec = cur.record()
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return claim, rec, nil
}

// IdempotencyKey reads the record of a key ("" state and no error when there is none).
func (s *Store) IdempotencyKey(ctx context.Context, tokenID uuid.UUID, key string) (*IdempotencyRecord, error) {
	var row idempotencyRow
	err := s.read.WithContext(ctx).Where("token_id = ? AND idem_key = ? AND expires_at > ?", tokenID, key, s.now().UTC()).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return &IdempotencyRecord{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	return row.record(), nil
}

// CompleteIdempotencyKey stores the response of the claim's request for replays.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, c *IdempotencyClaim, status int, response []byte) error {
	return s.write(withoutClaim(ctx), func(t *tx) error {
		res := t.db.Model(&idempotencyRow{}).Where("token_id = ? AND idem_key = ? AND owner = ?", c.TokenID, c.Key, c.Owner).
			Updates(map[string]any{"state": KeyDone, "status": status, "response": response, "lease_until": nil})
		if res.Error != nil {
			return fmt.Errorf("store idempotent response: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return errClaimLost
		}
		return nil
	})
}

// ReleaseIdempotencyKey gives a key back after a request that changed nothing (it failed): a
// retry runs afresh. A key whose request committed is never released.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, c *IdempotencyClaim) error {
	return s.write(withoutClaim(ctx), func(t *tx) error {
		err := t.db.Where("token_id = ? AND idem_key = ? AND owner = ? AND state = ?", c.TokenID, c.Key, c.Owner, KeyInProgress).
			Delete(&idempotencyRow{}).Error
		if err != nil {
			return fmt.Errorf("release idempotency key: %w", err)
		}
		return nil
	})
}

// purgeIdempotencyKeys deletes expired keys, at most every few minutes, inside a claim's
// transaction: the table stays about a day's keys long without a job of its own.
func (s *Store) purgeIdempotencyKeys(t *tx) error {
	s.purgeMu.Lock()
	due := t.now.Sub(s.lastPurge) >= 5*time.Minute
	if due {
		s.lastPurge = t.now
	}
	s.purgeMu.Unlock()
	if !due {
		return nil
	}
	if err := t.db.Where("expires_at <= ?", t.now).Delete(&idempotencyRow{}).Error; err != nil {
		return fmt.Errorf("purge expired idempotency keys: %w", err)
	}
	return nil
}

func (r *idempotencyRow) record() *IdempotencyRecord {
	rec := &IdempotencyRecord{State: r.State, RequestHash: r.RequestHash, LeaseUntil: utcPtr(r.LeaseUntil), Response: r.Response}
	if r.ResourceType != nil {
		rec.ResourceType = *r.ResourceType
	}
	if r.ResourceID.Valid {
		id := r.ResourceID.UUID
		rec.ResourceID = &id
	}
	if r.Status != nil {
		rec.Status = *r.Status
	}
	return rec
}
