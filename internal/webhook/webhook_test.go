package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/webhook"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestForbidden(t *testing.T) {
	for _, tc := range []struct {
		ip        string
		forbidden bool
	}{
		{"203.0.113.10", false},
		{"8.8.8.8", false},
		{"2606:4700::1111", false},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"127.0.0.1", true},
		{"127.255.0.9", true},
		{"10.0.0.1", true},
		{"100.64.0.1", true},
		{"100.127.255.254", true},
		{"100.128.0.1", false},
		{"169.254.169.254", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"172.32.0.1", false},
		{"192.168.0.1", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"::", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:203.0.113.10", false},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"fe80::1", true},
		{"ff02::1", true},
		{"64:ff9b::a00:1", true},      // NAT64 of 10.0.0.1
		{"64:ff9b::cb00:710a", false}, // NAT64 of 203.0.113.10
		{"2002:7f00:1::1", true},      // 6to4 of 127.0.0.1
	} {
		if got := webhook.Forbidden(netip.MustParseAddr(tc.ip)); got != tc.forbidden {
			t.Errorf("%s: forbidden %v, want %v", tc.ip, got, tc.forbidden)
		}
	}
}

// fakeResolver answers every name with fixed addresses, as a rebinding DNS server might.
type fakeResolver []netip.Addr

func (r fakeResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r, nil
}

func TestCheckURL(t *testing.T) {
	public := fakeResolver{netip.MustParseAddr("203.0.113.10")}
	mixed := fakeResolver{netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("10.0.0.1")}
	for _, tc := range []struct {
		url     string
		r       webhook.Resolver
		private bool
		ok      bool
	}{
		{"https://hooks.example/x", public, false, true},
		{"https://hooks.example/x", mixed, false, false}, // any private address refuses it
		{"http://hooks.example/x", public, false, false},
		{"http://hooks.example/x", public, true, true},
		{"https://127.0.0.1:8443/x", nil, false, false},
		{"https://127.0.0.1:8443/x", nil, true, true},
		{"https://hooks.example/x#frag", public, false, false},
		{"mailto:x@example.com", public, true, false},
	} {
		err := webhook.CheckURL(context.Background(), tc.url, tc.private, tc.r)
		var ve *cutover.ValidationError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case !tc.ok && (!errors.As(err, &ve) || ve.Status != 422 || ve.Fields[0].Field != "url"):
			t.Errorf("%s: %v, want a 422 on url", tc.url, err)
		}
	}
}

// The dialer checks the address it connects to, after resolution: a name that resolves to
// loopback now is refused whatever it resolved to when the webhook was created.
func TestDialerRefusesForbiddenAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, addr := range []string{srv.Listener.Addr().String(), net.JoinHostPort("localhost", port)} {
		_, err := webhook.Dialer(time.Second, false).Dial("tcp", addr)
		if err == nil || !strings.Contains(err.Error(), "refused to connect") {
			t.Errorf("dial %s: %v", addr, err)
		}
		conn, err := webhook.Dialer(time.Second, true).Dial("tcp", addr)
		if err != nil {
			t.Errorf("dial %s allowing private networks: %v", addr, err)
			continue
		}
		conn.Close()
	}
}

func TestSignVerifiesWithTheLibrary(t *testing.T) {
	secret := webhook.NewSecret()
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+44 {
		t.Fatalf("secret %q", secret)
	}
	at := time.Now()
	body := []byte(`{"type":"task.updated"}`)
	sig, err := webhook.Sign(secret, "msg_1", at, body)
	if err != nil || !strings.HasPrefix(sig, "v1,") {
		t.Fatalf("sign: %q %v", sig, err)
	}
	wh, _ := standardwebhooks.NewWebhook(secret)
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestDefaultBackoff(t *testing.T) {
	if d := webhook.DefaultBackoff(1); d > 10*time.Second {
		t.Fatalf("first retry after %s", d)
	}
	var total time.Duration
	for n := 1; total < 72*time.Hour; n++ {
		d := webhook.DefaultBackoff(n)
		if n > 1 && d < webhook.DefaultBackoff(n-1) {
			t.Fatalf("backoff shrinks at %d", n)
		}
		total += d
		if n > 100 {
			t.Fatal("backoff never reaches three days")
		}
	}
}
