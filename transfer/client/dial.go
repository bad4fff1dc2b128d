package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// conn is a byte stream to a server with deadlines: a network connection or
// the pipes of an ssh process.
type conn interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// endpoint is a parsed server address.
type endpoint struct {
	scheme string // tcp, tls, unix, ssh
	addr   string // host:port, socket path, or ssh host
	user   string // ssh only
	port   string // ssh only, may be empty
}

// parseServer understands tcp://host:port, tls://host:port, unix:///path,
// ssh://[user@]host[:port], and a bare host:port (tcp).
func parseServer(s string) (endpoint, error) {
	if s == "" {
		return endpoint{}, errors.New("no server address")
	}
	if !strings.Contains(s, "://") {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return endpoint{}, fmt.Errorf("server %q: want tcp://host:port, tls://host:port, unix:///path, ssh://[user@]host[:port] or host:port", s)
		}
		return endpoint{scheme: "tcp", addr: s}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return endpoint{}, fmt.Errorf("server %q: %w", s, err)
	}
	switch u.Scheme {
	case "tcp", "tls":
		if _, _, err := net.SplitHostPort(u.Host); err != nil || u.Path != "" || u.User != nil {
			return endpoint{}, fmt.Errorf("server %q: want %s://host:port", s, u.Scheme)
		}
		return endpoint{scheme: u.Scheme, addr: u.Host}, nil
	case "unix":
		p := u.Path
		if u.Host != "" || p == "" {
			return endpoint{}, fmt.Errorf("server %q: want unix:///absolute/path", s)
		}
		return endpoint{scheme: "unix", addr: p}, nil
	case "ssh":
		if u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
			return endpoint{}, fmt.Errorf("server %q: want ssh://[user@]host[:port]", s)
		}
		e := endpoint{scheme: "ssh", addr: u.Hostname(), port: u.Port()}
		if u.User != nil {
			if _, has := u.User.Password(); has {
				return endpoint{}, fmt.Errorf("server %q: passwords in ssh:// addresses are not supported; use keys or an agent", s)
			}
			e.user = u.User.Username()
		}
		// ssh would take either for an option (-oProxyCommand=...).
		if strings.HasPrefix(e.addr, "-") {
			return endpoint{}, fmt.Errorf("server %q: the ssh host %q begins with \"-\"; refusing it, as ssh would read it as an option", s, e.addr)
		}
		if strings.HasPrefix(e.user, "-") {
			return endpoint{}, fmt.Errorf("server %q: the ssh user %q begins with \"-\"; refusing it, as ssh would read it as an option", s, e.user)
		}
		return e, nil
	}
	return endpoint{}, fmt.Errorf("server %q: unknown scheme %q (tcp, tls, unix, ssh)", s, u.Scheme)
}

// dialer opens connections for the engine's uploads.
type dialer struct {
	timeout       time.Duration
	tlsRoots      *x509.CertPool // nil = system roots
	sshCommand    []string
	remoteCommand string
}

func newDialer(o Options) (*dialer, error) {
	d := &dialer{timeout: o.ReadTimeout, sshCommand: o.SSHCommand, remoteCommand: o.RemoteCommand}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the CA file: %w", err)
		}
		d.tlsRoots = x509.NewCertPool()
		if !d.tlsRoots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", o.CAFile)
		}
	}
	return d, nil
}

// dial connects to ep. The stream comes back with its stallConn, which
// decides when the connection counts as stalled (see stallConn).
func (d *dialer) dial(ctx context.Context, ep endpoint) (conn, *stallConn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	var nd net.Dialer
	switch ep.scheme {
	case "tcp", "unix":
		c, err := nd.DialContext(ctx, ep.scheme, ep.addr)
		if err != nil {
			return nil, nil, err
		}
		sc := newStallConn(c, d.timeout)
		return sc, sc, nil
	case "tls":
		raw, err := nd.DialContext(ctx, "tcp", ep.addr)
		if err != nil {
			return nil, nil, err
		}
		sc := newStallConn(raw, d.timeout)
		host, _, _ := net.SplitHostPort(ep.addr)
		tc := tls.Client(netStallConn{stallConn: sc, nc: raw}, &tls.Config{RootCAs: d.tlsRoots, ServerName: host, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, nil, err
		}
		return tc, sc, nil
	case "ssh":
		c, err := d.dialSSH(ep)
		if err != nil {
			return nil, nil, err
		}
		sc := newStallConn(c, d.timeout)
		return sc, sc, nil
	}
	return nil, nil, fmt.Errorf("unknown scheme %q", ep.scheme)
}
