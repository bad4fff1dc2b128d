package e2e

import (
	"strings"
	"testing"
	"time"
)

// waitForLog waits until the server's stderr holds want, failing after a
// deadline.
func waitForLog(t *testing.T, stderr func() string, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the server's log lacks %q:\n%s", want, stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSendTLSMixUpIsFinal sends with tcp:// to a TLS server and with
// tls:// to a plain one: each fails at once with the address to use, and
// the server's log says what the client did.
func TestSendTLSMixUpIsFinal(t *testing.T) {
	t.Parallel()
	certFile, keyFile, _ := selfSignedCert(t)
	tlsRoot, plainRoot := t.TempDir(), t.TempDir()
	tlsSrv := startServer(t, tlsRoot, "--tls-cert", certFile, "--tls-key", keyFile)
	plainSrv := startServer(t, plainRoot)
	if !strings.HasPrefix(tlsSrv.URL, "tls://") {
		t.Fatalf("the TLS server announced %s", tlsSrv.URL)
	}
	path, _ := randomFile(t, t.TempDir(), "f.bin", 1024, 21)

	cases := []struct {
		name, server, tokenFile, clientSays, serverLogs string
		serverLog                                      func() string
	}{
		{"tcp to TLS", "tcp://" + tlsSrv.Addr, writeToken(t, tlsRoot), "the server speaks TLS: use tls://" + tlsSrv.Addr,
			"client speaks plain hoist to a TLS listener", tlsSrv.Stderr},
		{"tls to plain", "tls://" + plainSrv.Addr, writeToken(t, plainRoot), "the server does not speak TLS: use tcp://",
			"client speaks TLS on a plain listener", plainSrv.Stderr},
	}
	for _, tc := range cases {
		env := []string{"XDG_STATE_HOME=" + t.TempDir()}
		start := time.Now()
		_, errOut, err := tryHoist(t, env, "send", "--server", tc.server, "--token-file", tc.tokenFile, "--ca-file", certFile, path)
		took := time.Since(start)
		if exitCode(err) != 1 {
			t.Fatalf("%s: %v, want exit status 1\n%s", tc.name, err, errOut)
		}
		if !strings.Contains(errOut, tc.clientSays) || strings.Contains(errOut, "retrying") {
			t.Errorf("%s: stderr lacks %q, or retried:\n%s", tc.name, tc.clientSays, errOut)
		}
		if took > 30*time.Second {
			t.Errorf("%s: took %v to fail", tc.name, took)
		}
		waitForLog(t, tc.serverLog, tc.serverLogs)
	}
}
