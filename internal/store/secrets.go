package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// newSecret returns a fresh credential: a recognisable prefix (so secret scanners find a leaked
// one) and 256 random bits.
func newSecret(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what is stored in place of a credential. It has 256 bits of entropy, so a plain
// SHA-256 is as strong as a slow hash here, and cheap enough for every request.
func hashSecret(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}
