// Package webhook delivers cutover's events to the URLs organisations subscribe, the Standard
// Webhooks way: each delivery is signed (webhook-id, webhook-timestamp, webhook-signature) with
// the webhook's whsec_ secret and retried with backoff until it succeeds or is given up. The
// deliveries themselves are an outbox in the store, written in the transaction of each change;
// this package's Worker claims due ones, sends them with a plain net/http client and records the
// outcome. It also holds the rules for where a webhook may point (see CheckURL and Dialer).
//
// It imports the store and cutover; never handlers, echo, GORM or the generated API (the body of
// a delivery is rendered by a function it is given).
package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/store"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// SecretPrefix starts every webhook secret, as Standard Webhooks names it.
const SecretPrefix = "whsec_"

// NewSecret returns a fresh signing secret: whsec_ and the base64 of 32 random bytes, the key
// of the HMAC-SHA256 signatures.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Sign returns the Standard Webhooks signature header of a delivery: v1,<base64 HMAC-SHA256 of
// "id.timestamp.body"> keyed with the base64-decoded secret.
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	sig, err := wh.Sign(id, at, body)
	if err != nil {
		return "", fmt.Errorf("sign delivery: %w", err)
	}
	return sig, nil
}

// DefaultBackoff is the wait after the n-th failed attempt (n from 1): the first retry within
// seconds, for a receiver that blipped, then longer and longer, for one that is down.
func DefaultBackoff(n int) time.Duration {
	steps := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour}
	if n < 1 {
		n = 1
	}
	if n > len(steps) {
		return steps[len(steps)-1]
	}
	return steps[n-1] //nolint:gosec // G602: 1 <= n <= len(steps) here
}

// Config sets a Worker up; zero values are the production defaults.
type Config struct {
	Store *store.Store
	// Payload renders the request body of an event's delivery. Required.
	Payload func(cutover.Event) ([]byte, error)
	// AllowPrivateNetworks lets deliveries go to loopback and private addresses and over http.
	AllowPrivateNetworks bool
	Logger               *slog.Logger
	Now                  func() time.Time
	// Backoff is the wait after the n-th failed attempt; DefaultBackoff when nil.
	Backoff func(n int) time.Duration
	// RetryFor is how long after its event a delivery is still retried (3 days).
	RetryFor time.Duration
	// DisableAfter disables a webhook whose deliveries have failed this long without a
	// success (3 days).
	DisableAfter time.Duration
	// Timeout bounds one attempt, connection to last byte (10 s).
	Timeout time.Duration
	// PollInterval is how often the worker looks for due retries and other replicas' work when
	// nothing wakes it (1 s).
	PollInterval time.Duration
	// Concurrency is how many attempts run at once (8).
	Concurrency int
	// Retention is how long finished deliveries stay listed (30 days).
	Retention time.Duration
	// ID names this worker in its claims; host, process and a random part by default.
	ID string
	// OnAttempt, when set, is told the outcome of every finished attempt ("succeeded", "retry"
	// or "failed": given up), for metrics. It must be quick.
	OnAttempt func(outcome string)
}

// Worker sends due deliveries until it is stopped.
type Worker struct {
	cfg    Config
	client *http.Client
	lease  time.Duration

	startOnce, stopOnce sync.Once
	stop                chan struct{}
	done                chan struct{}
	freed               chan struct{}
	inflight            sync.WaitGroup
	attemptCtx          context.Context
	cancelAttempts      context.CancelFunc
}

// New returns a worker; Start runs it.
func New(cfg Config) (*Worker, error) {
	if cfg.Store == nil || cfg.Payload == nil {
		return nil, errors.New("webhook worker: a store and a payload renderer are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = 72 * time.Hour
	}
	if cfg.DisableAfter <= 0 {
		cfg.DisableAfter = 72 * time.Hour
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.ID == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.ID = fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would be what the dialer checks, not the receiver
		DialContext:           Dialer(cfg.Timeout, cfg.AllowPrivateNetworks).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	w := &Worker{
		cfg: cfg,
		client: &http.Client{
			Transport: transport,
			Timeout:   cfg.Timeout,
			// Redirects are not followed: the receiver is the URL the admin gave, and a redirect
			// could lead anywhere. A 3xx is a failed attempt.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		// An attempt takes at most Timeout; the lease outlives it with room for recording the
		// outcome, so a live worker's claim never expires under it.
		lease: cfg.Timeout + 30*time.Second,
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		freed: make(chan struct{}, 1),
	}
	w.attemptCtx, w.cancelAttempts = context.WithCancel(context.Background())
	return w, nil
}

// Start runs the worker in the background until ctx ends or Stop is called. Attempts in flight
// when ctx ends are not interrupted: Stop waits for them.
func (w *Worker) Start(ctx context.Context) {
	w.startOnce.Do(func() { go w.run(ctx) })
}

// Stop stops claiming deliveries and waits for the attempts in flight to finish, until ctx
// ends; then it interrupts them (their claims are handed back for another worker) and returns
// ctx's error.
func (w *Worker) Stop(ctx context.Context) error {
	w.stopOnce.Do(func() { close(w.stop) })
	w.startOnce.Do(func() { close(w.done) }) // never started
	<-w.done
	finished := make(chan struct{})
	go func() {
		w.inflight.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		w.cancelAttempts()
		return nil
	case <-ctx.Done():
		w.cancelAttempts()
		<-finished
		return fmt.Errorf("stop webhook worker: %w", ctx.Err())
	}
}

func (w *Worker) run(ctx context.Context) {
	defer close(w.done)
	st := w.cfg.Store
	sem := make(chan struct{}, w.cfg.Concurrency)
	tick := time.NewTicker(w.cfg.PollInterval)
	defer tick.Stop()
	var lastPurge time.Time
	for {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		// Taken before claiming, so deliveries enqueued meanwhile wake the next round.
		woken := st.DeliveriesEnqueued()
		more := false
		if free := cap(sem) - len(sem); free > 0 {
			due, err := st.ClaimDeliveries(context.WithoutCancel(ctx), w.cfg.ID, w.lease, free)
			if err != nil {
				w.cfg.Logger.Error("claim webhook deliveries", slog.String("error", err.Error()))
			}
			for _, d := range due {
				sem <- struct{}{}
				w.inflight.Add(1)
				go func() {
					defer w.inflight.Done()
					w.attempt(d)
					<-sem
					select {
					case w.freed <- struct{}{}:
					default:
					}
				}()
			}
			more = err == nil && len(due) == free
		}
		if now := w.cfg.Now(); now.Sub(lastPurge) >= time.Hour {
			lastPurge = now
			if _, err := st.PurgeDeliveries(context.WithoutCancel(ctx), now.Add(-w.cfg.Retention)); err != nil {
				w.cfg.Logger.Warn("purge old webhook deliveries", slog.String("error", err.Error()))
			}
		}
		if more {
			continue // a full batch: there may be more due right now
		}
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		case <-woken:
		case <-tick.C:
		case <-w.freed:
		}
	}
}

// attempt sends one delivery and records how it went.
func (w *Worker) attempt(d store.DueDelivery) {
	ctx := w.attemptCtx
	at := w.cfg.Now().UTC()
	status, failure := w.send(ctx, d, at)
	if ctx.Err() != nil {
		// Stopping: the attempt was cut short, so it does not count; another worker (or this
		// one after a restart) sends it again at once.
		if err := w.cfg.Store.ReleaseDelivery(context.Background(), d.ID, w.cfg.ID); err != nil {
			w.cfg.Logger.Warn("hand back webhook delivery", slog.String("delivery_id", d.ID.String()), slog.String("error", err.Error()))
		}
		return
	}
	a := store.DeliveryAttempt{At: at, StatusCode: status, Succeeded: failure == "", Error: failure}
	if !a.Succeeded && at.Sub(d.CreatedAt) < w.cfg.RetryFor {
		next := at.Add(w.cfg.Backoff(d.Attempts + 1))
		a.Next = &next
	}
	log := w.cfg.Logger.With(slog.String("delivery_id", d.ID.String()), slog.String("webhook_id", d.WebhookID.String()),
		slog.String("action", d.Action), slog.Int("attempt", d.Attempts+1), slog.Int("status", status))
	outcome := "failed"
	switch {
	case a.Succeeded:
		outcome = "succeeded"
		log.Info("webhook delivered")
	case a.Next != nil:
		outcome = "retry"
		log.Warn("webhook delivery failed; will retry", slog.String("error", failure), slog.Time("next_attempt_at", *a.Next))
	default:
		log.Warn("webhook delivery failed; giving up", slog.String("error", failure))
	}
	if w.cfg.OnAttempt != nil {
		w.cfg.OnAttempt(outcome)
	}
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.cfg.Store.RecordDeliveryAttempt(rctx, d.ID, w.cfg.ID, a, w.cfg.DisableAfter); err != nil {
		// The lease runs out and the delivery is sent again: at least once, never lost.
		log.Error("record webhook delivery attempt", slog.String("error", err.Error()))
	}
}

// send makes one attempt. It returns the receiver's status code (0 without a response) and, for
// a failure, why.
func (w *Worker) send(ctx context.Context, d store.DueDelivery, at time.Time) (int, string) {
	u, err := url.Parse(d.URL)
	if err != nil || (u.Scheme != "https" && !(w.cfg.AllowPrivateNetworks && u.Scheme == "http")) {
		return 0, "the URL is not an https URL"
	}
	body, err := w.cfg.Payload(d.Event)
	if err != nil {
		return 0, "rendering the event failed"
	}
	id := d.ID.String()
	sig, err := Sign(d.Secret, id, at, body)
	if err != nil {
		return 0, "signing failed"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "the URL is not valid"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cutover-webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, id) // the same on every attempt
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, attemptError(err, w.cfg.Timeout)
	}
	// Read a little of the body so the connection can be reused; what it says is not kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, "the receiver answered " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
	}
	return resp.StatusCode, ""
}

// attemptError says why an attempt got no response, without the URL (it is on the webhook).
func attemptError(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "no response within " + timeout.String()
		}
		err = ue.Err
	}
	if errors.Is(err, errForbiddenAddress) {
		return "the host resolves to a loopback, private or link-local address; refused"
	}
	return err.Error()
}
