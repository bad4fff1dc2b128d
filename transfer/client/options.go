package client

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// Defaults for zero Options fields.
const (
	// DefaultChunkSize is the chunk size asked for when Options.ChunkSize is 0.
	// The server may grant less (its cap is 4 MiB by default).
	DefaultChunkSize = 1 << 20
	// MaxChunkSize is the largest chunk size the engine asks for; a chunk of
	// this size still fits a base64 TRANSFER frame.
	MaxChunkSize = 4 << 20
	// MaxGrantedChunkSize is the largest chunk size the engine accepts
	// from a server: what one TRANSFER frame can carry. A server whose
	// storage needs larger chunks than asked (an object store's 5 MiB
	// parts) grants them.
	MaxGrantedChunkSize = (wire.MaxPayload - 1024) / 4 * 3
	// DefaultWindowChunks bounds the TRANSFERs in flight on one connection.
	DefaultWindowChunks = 256
	// DefaultWindowBytes bounds the chunk bytes in flight on one connection.
	DefaultWindowBytes = 64 << 20
	// DefaultRetryBase is the first reconnect delay's lower bound (the
	// first delay is between it and twice it).
	DefaultRetryBase = 250 * time.Millisecond
	// DefaultRetryCap is the largest reconnect delay.
	DefaultRetryCap = 30 * time.Second
	// DefaultRetryBudget is how long an upload keeps reconnecting without
	// progress before it fails.
	DefaultRetryBudget = 2 * time.Minute
	// DefaultReadTimeout is how long a connection may stall (see
	// Options.ReadTimeout).
	DefaultReadTimeout = 30 * time.Second
	// DefaultRemoteCommand is what ssh:// runs on the remote host.
	DefaultRemoteCommand = "hoist serve --stdio"
)

// Options configure an Engine. Zero fields take the defaults above.
type Options struct {
	// Server is the address new uploads go to: tcp://host:port,
	// tls://host:port, unix:///path, ssh://[user@]host[:port], or a bare
	// host:port (tcp). Uploads resumed from the journal use the server they
	// were started with.
	Server string
	// Token supplies the JWT; it is asked again on every connection, so a
	// source that re-reads a file or reruns a command picks up a new token.
	Token TokenSource
	// ChunkSize is the largest chunk size a new upload asks for, at most
	// MaxChunkSize. Within it the engine picks the size by the throughput it
	// last measured to the server (remembered in JournalDir/links.json): a
	// chunk should cross the link in about two seconds, never below
	// MinChunkSize; a server not measured yet gets 256 KiB. The server fixes
	// the actual size at an upload's first authentication.
	ChunkSize int
	// Window caps the TRANSFERs in flight. The engine adapts the window to the
	// measured bandwidth-delay product and never exceeds these caps.
	Window Window
	// Retry is the reconnect policy.
	Retry RetryPolicy
	// ReadTimeout is how long a connection may stall, and bounds the dial.
	// Timeouts measure progress, not size: a write fails only when the
	// server accepted no byte for this long, and a wait for an answer only
	// when nothing arrived for this long while nothing could be sent either,
	// so a large chunk on a slow link is never cut while its bytes flow. A
	// chunk still unanswered half of it after a later chunk was answered is
	// resent.
	ReadTimeout time.Duration
	// CAFile is a PEM bundle trusted for tls:// servers; empty means the
	// system roots.
	CAFile string
	// JournalDir holds the journal (one small file per unfinished upload).
	// It is required: the engine reads no environment, so the caller picks
	// the directory (hoist uses $XDG_STATE_HOME/hoist/uploads).
	JournalDir string
	// SSHCommand is the ssh client and its leading arguments for ssh://
	// servers; empty means {"ssh"}.
	SSHCommand []string
	// RemoteCommand runs on the ssh host and must speak the protocol on its
	// stdin/stdout; empty means DefaultRemoteCommand.
	RemoteCommand string
	// RateLimit caps the chunk bytes written per second, all uploads
	// together (a token bucket whose burst is one chunk); 0 means no limit.
	// Engine.SetRateLimit changes it while uploads run.
	RateLimit int64
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Window bounds the unacknowledged TRANSFERs in flight on one connection,
// by count and by chunk bytes. Zero fields take the defaults.
type Window struct {
	Chunks int
	Bytes  int64
}

// RetryPolicy is the reconnect policy. The first delay of a series is
// uniform in [Base, 2·Base); each next one is the previous times a random
// factor in [1.5, 2), up to Cap (a capped delay keeps 20% of jitter). The
// series starts again once a connection makes progress (a chunk is
// acknowledged).
//
// Two limits end an upload that makes no progress: Attempts caps consecutive
// failed connections (0: no cap), and Budget caps the time spent since the
// last progress (0: DefaultRetryBudget; NoRetryBudget: retry forever, as an
// interactive UI that shows its countdown may want).
type RetryPolicy struct {
	Base     time.Duration
	Cap      time.Duration
	Attempts int
	Budget   time.Duration
	// Seed makes the jitter reproducible (tests); 0 means random.
	Seed uint64
}

// NoRetryBudget as RetryPolicy.Budget retries without a time limit.
const NoRetryBudget time.Duration = -1

// withDefaults validates o and fills in zero fields.
func (o Options) withDefaults() (Options, error) {
	if o.Token == nil {
		return o, errors.New("client: no token source (Options.Token)")
	}
	if o.JournalDir == "" {
		return o, errors.New("client: no journal directory (Options.JournalDir)")
	}
	switch {
	case o.ChunkSize == 0:
		o.ChunkSize = DefaultChunkSize
	case o.ChunkSize < 0 || o.ChunkSize > MaxChunkSize:
		return o, fmt.Errorf("client: chunk size %d out of range 1..%d", o.ChunkSize, MaxChunkSize)
	}
	if o.Window.Chunks < 0 || o.Window.Bytes < 0 {
		return o, fmt.Errorf("client: negative window %+v", o.Window)
	}
	if o.Window.Chunks == 0 {
		o.Window.Chunks = DefaultWindowChunks
	}
	if o.Window.Bytes == 0 {
		o.Window.Bytes = DefaultWindowBytes
	}
	if o.Retry.Base < 0 || o.Retry.Cap < 0 || o.Retry.Attempts < 0 || (o.Retry.Budget < 0 && o.Retry.Budget != NoRetryBudget) {
		return o, fmt.Errorf("client: negative retry policy %+v", o.Retry)
	}
	if o.Retry.Base == 0 {
		o.Retry.Base = DefaultRetryBase
	}
	if o.Retry.Cap == 0 {
		o.Retry.Cap = max(DefaultRetryCap, o.Retry.Base)
	}
	if o.Retry.Budget == 0 {
		o.Retry.Budget = DefaultRetryBudget
	}
	if o.Retry.Cap < o.Retry.Base {
		return o, fmt.Errorf("client: retry cap %v below base %v", o.Retry.Cap, o.Retry.Base)
	}
	if o.RateLimit < 0 {
		return o, fmt.Errorf("client: negative rate limit %d", o.RateLimit)
	}
	if o.ReadTimeout < 0 {
		return o, fmt.Errorf("client: negative read timeout %v", o.ReadTimeout)
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if len(o.SSHCommand) == 0 {
		o.SSHCommand = []string{"ssh"}
	}
	if o.RemoteCommand == "" {
		o.RemoteCommand = DefaultRemoteCommand
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
