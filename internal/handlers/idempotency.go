package handlers

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/labstack/echo/v4"
)

const (
	// idempotencyLease is how long a request holds its key before a retry may take it over: far
	// longer than any request takes, short enough that a crashed request's key frees itself.
	idempotencyLease = 30 * time.Second
	// idempotencyWait is how long a retry waits for the first request to finish before a 409.
	idempotencyWait      = 10 * time.Second
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
)

// idempotency makes POSTs with an Idempotency-Key safe to retry. The first request claims the
// key (one INSERT on the (token, key) primary key wins, however many arrive at once); its write
// marks the key committed in the same transaction as the change; its response, if it succeeded,
// is stored and replayed to every retry with the same body. A failed request changed nothing,
// so its key is given back and a retry runs again.
//
// Stored responses are encrypted with a key derived from the caller's bearer token, which the
// server never stores: a token or webhook secret in a create response is not left readable in
// the database for the day the response is kept.
func idempotency(st *store.Store, now func() time.Time, wait time.Duration, log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			key := req.Header.Get(headerIdempotencyKey)
			who, ok := req.Context().Value(callerKey{}).(cutover.Caller)
			if req.Method != http.MethodPost || key == "" || !ok {
				return next(c)
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return fmt.Errorf("read request body: %w", err)
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			hash := requestHash(req, body)
			aead, err := responseCipher(bearerToken(req), who, key)
			if err != nil {
				return err
			}

			claim, err := awaitKey(c, st, now, wait, who, key, hash, aead)
			if err != nil || claim == nil {
				return err // answered (replayed) or refused
			}
			return runClaimed(c, next, st, claim, aead, log)
		}
	}
}

// awaitKey claims the key, or answers the request from whoever holds it: a replay of their
// stored response, a 422 for another request under the same key, or a 409 when they do not
// finish in time. It returns the claim when this request is to run.
func awaitKey(c echo.Context, st *store.Store, now func() time.Time, wait time.Duration, who cutover.Caller, key string,
	hash []byte, aead cipher.AEAD) (*store.IdempotencyClaim, error) {
	ctx := c.Request().Context()
	deadline := time.Now().Add(wait)
	pause := 5 * time.Millisecond
	for {
		claim, rec, err := st.ClaimIdempotencyKey(ctx, who.TokenID, key, hash, idempotencyLease)
		if err != nil {
			return nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		if claim != nil {
			return claim, nil
		}
		// Someone has the key: wait (reading, not claiming) until they are done or gone.
	wait:
		for {
			switch {
			case rec.State == "":
				break wait // released or expired meanwhile: claim it
			case !bytes.Equal(rec.RequestHash, hash):
				return nil, errKeyReused
			case rec.State == store.KeyDone:
				return nil, replay(c, rec, aead, who)
			case !rec.Live(now()):
				if rec.State == store.KeyCommitted {
					return nil, responseLost(rec)
				}
				break wait // its holder died before committing anything: take it over
			case time.Now().After(deadline):
				return nil, errKeyInUse
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("wait for the first request with this key: %w", ctx.Err())
			case <-time.After(pause):
			}
			pause = min(pause*2, 100*time.Millisecond)
			if rec, err = st.IdempotencyKey(ctx, who.TokenID, key); err != nil {
				return nil, err
			}
		}
	}
}

// runClaimed runs the request under its claim and stores or releases the key by the outcome.
func runClaimed(c echo.Context, next echo.HandlerFunc, st *store.Store, claim *store.IdempotencyClaim, aead cipher.AEAD, log *slog.Logger) (err error) {
	req := c.Request()
	bg := context.WithoutCancel(req.Context()) // the outcome is recorded even if the client left
	c.SetRequest(req.WithContext(store.WithIdempotencyClaim(req.Context(), claim)))
	orig := c.Response().Writer
	capture := &capturedResponse{header: orig.Header()}
	c.Response().Writer = capture
	done := false
	defer func() {
		c.Response().Writer = orig
		if done {
			return
		}
		// A panic: give the key back unless the change committed (then it stays committed, and
		// a retry is told the response was lost rather than doing the work twice).
		if !claim.Committed() {
			if rerr := st.ReleaseIdempotencyKey(bg, claim); rerr != nil {
				log.Error("release idempotency key", slog.String("error", rerr.Error()))
			}
		}
	}()

	herr := next(c)
	if herr != nil && !claim.Committed() {
		done = true
		c.Response().Writer = orig
		if rerr := st.ReleaseIdempotencyKey(bg, claim); rerr != nil {
			log.Error("release idempotency key", slog.String("error", rerr.Error()))
		}
		return herr // nothing changed: the error is answered as usual, and a retry runs again
	}
	if herr != nil {
		c.Error(herr) // the change committed, then something failed: that answer is the one kept
	}
	status := capture.status
	if status == 0 {
		status = http.StatusOK
	}
	if status/100 == 2 || claim.Committed() {
		sealed, serr := seal(aead, storedResponse{Status: status, Header: keptHeaders(capture.header), Body: capture.body.Bytes()})
		if serr == nil {
			serr = st.CompleteIdempotencyKey(bg, claim, status, sealed)
		}
		if serr != nil {
			// The client still gets its answer; a retry finds the key committed and is told so.
			log.Error("store idempotent response", slog.String("error", serr.Error()))
		}
	} else if rerr := st.ReleaseIdempotencyKey(bg, claim); rerr != nil {
		log.Error("release idempotency key", slog.String("error", rerr.Error()))
	}
	done = true
	c.Response().Writer = orig
	orig.WriteHeader(status)
	_, werr := orig.Write(capture.body.Bytes())
	return werr
}

var (
	errKeyReused = cutover.Invalid("idempotency-key-reused", "The idempotency key was used for another request",
		cutover.FieldError{Field: headerIdempotencyKey, Message: "was already used with a different method, path or body; use a new key for a new request"})
	errKeyInUse = &cutover.ConflictError{Kind: "idempotency-key-in-use", Title: "A request with this idempotency key is in progress",
		Detail: "The first request with this Idempotency-Key has not finished yet; retry in a few seconds to get its response."}
)

func responseLost(rec *store.IdempotencyRecord) error {
	what := "a resource"
	if rec.ResourceType != "" && rec.ResourceID != nil {
		what = rec.ResourceType + " " + rec.ResourceID.String()
	}
	return &cutover.ConflictError{Kind: "idempotency-response-lost", Title: "The response of the first request was lost",
		Detail: "The first request with this Idempotency-Key was carried out (it changed " + what +
			") but the server stopped before it could store the response. It will not be carried out again; read the resource for the result."}
}

// requestHash identifies a request for its key: method, path and query, and body.
func requestHash(r *http.Request, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.RequestURI() + "\n"))
	h.Write(body)
	return h.Sum(nil)
}

func bearerToken(r *http.Request) string {
	_, tok, _ := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	return strings.TrimSpace(tok)
}

// responseCipher is the AEAD stored responses of this token and key are sealed with. Its key
// comes from the bearer token's value, which only the client holds (the server keeps a hash).
func responseCipher(token string, who cutover.Caller, key string) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, []byte(token), nil, "cutover idempotent response\x00"+who.TokenID.String()+"\x00"+key, 32)
	if err != nil {
		return nil, fmt.Errorf("derive response key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("response cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("response cipher: %w", err)
	}
	return aead, nil
}

// storedResponse is what a replay sends.
type storedResponse struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header"`
	Body   []byte            `json:"body"`
}

// keptHeaders are the headers of a response that belong to it (not to the request's moment,
// such as the request id).
func keptHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range []string{echo.HeaderContentType, echo.HeaderLocation, "ETag", "Link"} {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

func seal(aead cipher.AEAD, r storedResponse) ([]byte, error) {
	plain, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, nil), nil
}

func openSealed(aead cipher.AEAD, sealed []byte) (storedResponse, error) {
	var r storedResponse
	n := aead.NonceSize()
	if len(sealed) < n {
		return r, errors.New("stored response is too short")
	}
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return r, fmt.Errorf("open stored response: %w", err)
	}
	if err := json.Unmarshal(plain, &r); err != nil {
		return r, fmt.Errorf("decode stored response: %w", err)
	}
	return r, nil
}

// replay answers with the stored response of the first request.
func replay(c echo.Context, rec *store.IdempotencyRecord, aead cipher.AEAD, who cutover.Caller) error {
	r, err := openSealed(aead, rec.Response)
	if err != nil {
		return fmt.Errorf("replay idempotent response of token %s: %w", who.TokenID, err)
	}
	h := c.Response().Header()
	for k, v := range r.Header {
		h.Set(k, v)
	}
	h.Set(headerReplayed, "true")
	c.Response().WriteHeader(r.Status)
	_, err = c.Response().Write(r.Body)
	return err
}

// capturedResponse holds a response back until the key's outcome is stored: a client never
// sees an answer that a retry would not get again.
type capturedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *capturedResponse) Header() http.Header { return r.header }

func (r *capturedResponse) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *capturedResponse) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
