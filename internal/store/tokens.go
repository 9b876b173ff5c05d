package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// TokenPrefix starts every token value, so secret scanners can recognise a leaked one.
const TokenPrefix = "cut_"

// NewTokenValue returns a fresh random token value: the prefix and 256 random bits.
func NewTokenValue() string { return newSecret(TokenPrefix) }

// hashToken is what is stored in place of a token value.
func hashToken(value string) []byte { return hashSecret(value) }

// Bootstrap creates the operator organisation and its first admin token on an empty database and
// returns the token's value, once; it does nothing (and returns "") when an organisation exists.
// value sets the token's value instead of a random one.
func (s *Store) Bootstrap(ctx context.Context, value string) (string, error) {
	var created bool
	if value == "" {
		value = NewTokenValue()
	}
	err := s.write(ctx, func(t *tx) error {
		if s.dialect == Postgres {
			// Replicas starting together on an empty database: one creates the operator, the
			// others wait here and then find it (each statement sees what committed before it).
			if err := t.db.Exec("SELECT pg_advisory_xact_lock(?)", bootstrapLock).Error; err != nil {
				return fmt.Errorf("lock bootstrap: %w", err)
			}
		}
		var n int64
		if err := t.db.Model(&organisationRow{}).Count(&n).Error; err != nil {
			return fmt.Errorf("count organisations: %w", err)
		}
		if n > 0 {
			return nil
		}
		now := t.now
		org := organisationRow{ID: cutover.NewID(), Name: "Operator", Kind: "other", Operator: true, Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := t.db.Create(&org).Error; err != nil {
			return fmt.Errorf("create operator organisation: %w", err)
		}
		tok := tokenRow{ID: cutover.NewID(), OrgID: org.ID, Name: "admin", Role: string(cutover.RoleAdmin), Hash: hashToken(value), CreatedAt: now}
		if err := t.db.Create(&tok).Error; err != nil {
			return fmt.Errorf("create admin token: %w", err)
		}
		who := cutover.System(org.ID)
		t.record(who, org.ID, "organisation.created", "organisation", org.ID, nil,
			cutover.Created(map[string]any{"name": org.Name, "kind": org.Kind, "operator": true}))
		t.record(who, org.ID, "token.created", "token", tok.ID, nil,
			cutover.Created(map[string]any{"name": tok.Name, "role": tok.Role}))
		created = true
		return nil
	})
	if err != nil || !created {
		return "", err
	}
	return value, nil
}

// tokenCache keeps recent token look-ups so that authenticating a request costs no database
// round trip. Entries live briefly; a revocation drops them at once, on PostgreSQL on every
// replica (see notifyTokenGone).
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedToken
	ttl     time.Duration
}

type cachedToken struct {
	tok     cutover.Token
	expires time.Time
}

// Authenticate finds the live token with this value and returns who it acts as. An unknown,
// expired or revoked token is cutover.ErrUnauthenticated.
func (s *Store) Authenticate(ctx context.Context, value string) (cutover.Caller, error) {
	if !strings.HasPrefix(value, TokenPrefix) && len(value) < 16 {
		return cutover.Caller{}, cutover.ErrUnauthenticated
	}
	now := s.now()
	key := string(hashToken(value))
	tok, ok := s.tokens.get(key, now)
	if !ok {
		var row tokenRow
		err := s.read.WithContext(ctx).Where("hash = ? AND revoked_at IS NULL", []byte(key)).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return cutover.Caller{}, cutover.ErrUnauthenticated
		}
		if err != nil {
			return cutover.Caller{}, fmt.Errorf("look up token: %w", err)
		}
		var org organisationRow
		if err := s.read.WithContext(ctx).Where("id = ?", row.OrgID).Take(&org).Error; err != nil {
			return cutover.Caller{}, notFoundOr(err, "load token organisation")
		}
		tok = row.toDomain(org.Operator)
		s.tokens.put(key, tok, now)
	}
	if tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt) {
		return cutover.Caller{}, cutover.ErrUnauthenticated
	}
	if s.tokens.touch(key, now) {
		// Off the request's path: last_used_at is a hint for admins, not worth a synchronous write.
		go s.recordTokenUse(tok.ID, now) //nolint:gosec // G118: the write must outlive the request that triggered it
	}
	return cutover.Caller{TokenID: tok.ID, OrgID: tok.OrgID, Name: tok.Name, Role: tok.Role, Operator: tok.Operator}, nil
}

func (c *tokenCache) get(key string, now time.Time) (cutover.Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.After(e.expires) {
		return cutover.Token{}, false
	}
	return e.tok, true
}

func (c *tokenCache) put(key string, tok cutover.Token, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedToken{}
	}
	if len(c.entries) > 10000 { // bounded: a flood of random tokens cannot grow it without limit
		clear(c.entries)
	}
	c.entries[key] = cachedToken{tok: tok, expires: now.Add(c.ttl)}
}

// touch reports whether a token's last use should be written: at most once a minute per token
// and server, so authentication stays off the database.
func (c *tokenCache) touch(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || (e.tok.LastUsedAt != nil && now.Sub(*e.tok.LastUsedAt) < time.Minute) {
		return false
	}
	used := now.UTC()
	e.tok.LastUsedAt = &used
	c.entries[key] = e
	return true
}

func (s *Store) recordTokenUse(id uuid.UUID, at time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.write(ctx, func(t *tx) error {
		return t.db.Model(&tokenRow{}).Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", id, at.UTC()).
			Update("last_used_at", at.UTC()).Error
	})
	if err != nil && !errors.Is(err, errClosed) {
		s.log.Warn("record token use", "token_id", id, "error", err)
	}
}

// clear forgets every cached look-up.
func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// forget drops every cached look-up of a token.
func (c *tokenCache) forget(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.tok.ID == id {
			delete(c.entries, k)
		}
	}
}
