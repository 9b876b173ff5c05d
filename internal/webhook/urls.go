package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
)

// Prefixes a receiver must not be reached at: this host, its private networks and the cloud
// metadata endpoints on link-local addresses. A webhook URL is chosen by an API client, and the
// server would otherwise make requests into its own network on that client's behalf (SSRF).
var forbiddenPrefixes = mustPrefixes(
	"0.0.0.0/8",      // "this network"; 0.0.0.0 reaches the local host
	"10.0.0.0/8",     // private
	"100.64.0.0/10",  // carrier-grade NAT, shared address space
	"127.0.0.0/8",    // loopback
	"169.254.0.0/16", // link-local, incl. cloud metadata at 169.254.169.254
	"172.16.0.0/12",  // private
	"192.0.0.0/24",   // IETF protocol assignments
	"192.168.0.0/16", // private
	"198.18.0.0/15",  // benchmarking
	"224.0.0.0/4",    // multicast
	"240.0.0.0/4",    // reserved, incl. broadcast
	"::/128",         // unspecified
	"::1/128",        // loopback
	"fc00::/7",       // unique local
	"fe80::/10",      // link-local
	"ff00::/8",       // multicast
	"100::/64",       // discard
	"64:ff9b:1::/48", // local-use NAT64
)

// Prefixes of IPv6 addresses that carry an IPv4 address: that address is checked too, so
// ::ffff:127.0.0.1 or a NAT64 form of 10.0.0.1 does not slip through.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func mustPrefixes(ps ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ps))
	for i, p := range ps {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// Forbidden reports whether ip is an address a webhook must not be delivered to: loopback,
// private, link-local, CGNAT, multicast, unspecified or reserved, in IPv4 or IPv6.
func Forbidden(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if ip.Is6() && ip.As16()[0] == 0x20 && ip.As16()[1] == 0x02 { // 6to4 embeds an IPv4 address
		b := ip.As16()
		if Forbidden(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})) {
			return true
		}
	}
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return true
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Resolver looks up a host's addresses; net.DefaultResolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

func urlError(msg string) error {
	return cutover.Invalid("invalid-webhook-url", "The webhook URL is not allowed", cutover.FieldError{Field: "url", Message: msg})
}

// CheckURL checks a webhook URL when it is set: an absolute https URL whose host resolves only
// to public addresses. allowPrivate lifts both rules, for tests and receivers on the same
// network. The check is repeated on every connection (see Dialer): DNS can change after this.
func CheckURL(ctx context.Context, raw string, allowPrivate bool, r Resolver) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return urlError("must be an absolute URL such as https://tools.csu.example/cutover/hooks")
	}
	switch {
	case u.Scheme != "https" && !(allowPrivate && u.Scheme == "http"):
		return urlError("must use https")
	case u.User != nil:
		return urlError("must not hold a user name or password; authenticate deliveries by their signature")
	case u.Fragment != "":
		return urlError("must not have a #fragment")
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if Forbidden(ip) {
			return urlError("points at a loopback, private or link-local address; webhooks are delivered to public addresses only")
		}
		return nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(lctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return urlError("has a host name that does not resolve")
	}
	for _, ip := range ips {
		if Forbidden(ip) {
			return urlError("has a host name that resolves to a loopback, private or link-local address; webhooks are delivered to public addresses only")
		}
	}
	return nil
}

// errForbiddenAddress is a connection refused because of where it would go.
var errForbiddenAddress = errors.New("refused to connect to a loopback, private or link-local address")

// Dialer returns the dialer deliveries connect with. Unless allowPrivate, it refuses to connect
// to a forbidden address, checked on the address actually dialled after resolution: a host
// name that resolved to a public address when the webhook was created and to 127.0.0.1 now (DNS
// rebinding) is refused.
func Dialer(timeout time.Duration, allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if allowPrivate {
		return d
	}
	d.Control = func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return fmt.Errorf("dial %s: %w", address, err)
		}
		ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
		if err != nil || Forbidden(ip) {
			return fmt.Errorf("dial %s: %w", address, errForbiddenAddress)
		}
		return nil
	}
	return d
}
