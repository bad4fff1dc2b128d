package config

import "time"

// This file is the contract between the config package and the commands that
// consume it: the settings each command runs with, after defaults, the config
// file, HOIST_* environment variables and flags have been merged.

// Secret is a credential. It prints as a placeholder so that it cannot leak
// into logs, errors or `hoist config` output; use Reveal to get the value.
type Secret string

// String implements fmt.Stringer without revealing the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString implements fmt.GoStringer without revealing the secret.
func (s Secret) GoString() string { return s.String() }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// Client holds the settings of the uploading side: the TUI, `hoist send`,
// `hoist demo`.
type Client struct {
	// Profile names the [servers.NAME] table of the config file that was
	// applied; empty for none.
	Profile string
	// Server is the address: tcp://host:port, tls://host:port, unix:///path,
	// ssh://[user@]host[:port]; a bare host:port means tcp.
	Server string
	// Token sources; exactly one is used, in this order of preference.
	Token        Secret
	TokenFile    string
	TokenCommand string
	// Tags are added to every upload.
	Tags []string
	// LimitRate caps the bytes sent per second, all uploads together; 0 is
	// no limit.
	LimitRate int64
	// Exclude are globs of paths, relative to a directory being sent, to
	// leave out; "**" matches any number of path elements.
	Exclude []string
	// ChunkSize is the chunk size asked for, in bytes.
	ChunkSize int
	Window    Window
	Retry     Retry
	// CAFile is a PEM bundle for tls:// servers; empty means system roots.
	CAFile string
	// SSHCommand is the ssh client and its leading options for ssh://
	// servers, split at spaces; RemoteCommand is what it runs on the host,
	// which must serve the protocol on its stdin and stdout.
	SSHCommand    string
	RemoteCommand string
	// ReadTimeout bounds each wait for a server frame.
	ReadTimeout time.Duration
	// FollowLinks walks symlinked directories as the directories they
	// lead to, in `hoist send` and the terminal UI; false skips them.
	FollowLinks bool
	// Strict makes `hoist send` fail when it skipped any path of a tree.
	Strict bool
	UI     UI
}

// Window bounds the unacknowledged TRANSFERs in flight.
type Window struct {
	Chunks int
	Bytes  int64
}

// Retry is the reconnect policy: exponential backoff with jitter from Base up
// to Cap. An upload without progress gives up after Attempts failed
// connections or after Budget of reconnecting, whichever comes first; 0
// means no limit for either.
type Retry struct {
	Base     time.Duration
	Cap      time.Duration
	Attempts int
	Budget   time.Duration
}

// UI holds the terminal UI's options.
type UI struct {
	StartDir   string
	ShowHidden bool
	// Color is "auto", "always" or "never"; NO_COLOR forces never.
	Color string
	// Agent is whether uploads run in the background agent: "auto" (when
	// the terminal is remote or an agent already runs), "always" or
	// "never" (in the UI's own process).
	Agent string
}

// Server holds the settings of `hoist serve`.
type Server struct {
	// Listen are TCP addresses; Unix is a socket path; Stdio serves one
	// session over stdin/stdout.
	Listen []string
	Unix   string
	Stdio  bool
	// TLS certificate and key files; both set means tls on every TCP listener.
	TLSCert string
	TLSKey  string
	// Root is the data directory.
	Root   string
	JWT    JWT
	Limits Limits
	// Chaos is the fault-injection spec; empty means off.
	Chaos string
	// DisableRawTransfer stops the server from offering the TRANSFER-RAW
	// extension, so that every client sends chunks as base64 JSON, as a peer
	// that knows only the original format does.
	DisableRawTransfer bool
	// MetricsListen is the TCP address of the HTTP listener for /metrics,
	// /healthz and /readyz; empty means none.
	MetricsListen string
	// DrainDelay is how long /readyz reports not ready after a stop signal
	// before the listeners close, so that load balancers move away first.
	DrainDelay time.Duration
	// LogFormat is "text" or "json"; LogLevel "debug", "info", "warn" or
	// "error".
	LogFormat string
	LogLevel  string
	// Store is where the bytes go (default: the data directory), Meta
	// where the metadata goes (default: bbolt in the data directory).
	Store Store
	Meta  Meta
}

// Store says where a server keeps the bytes of uploads.
type Store struct {
	// URL is s3://BUCKET/PREFIX for an S3-compatible object store; empty
	// means the data directory.
	URL string
	// S3Endpoint is the object store's URL when it is not AWS;
	// S3PathStyle addresses buckets as ENDPOINT/BUCKET.
	S3Endpoint  string
	S3PathStyle bool
}

// Meta says where a server keeps its metadata.
type Meta struct {
	// URL is postgres://USER@HOST/DB for PostgreSQL; empty means bbolt in
	// the data directory.
	URL string
}

// JWT configures token verification. With no key file the server uses (and
// creates) an HS256 secret in its data directory.
type JWT struct {
	// SecretFile holds an HS256 secret.
	SecretFile string
	// PublicKeyFile holds a PEM EdDSA or RSA public key (EdDSA or RS256).
	PublicKeyFile string
	Issuer        string
	Audience      string
	Leeway        time.Duration
}

// Limits bound what clients may do.
type Limits struct {
	MaxFileSize    int64
	Quota          int64 // bytes per user; 0 means none
	MaxConnections int
	MaxFiles       int
	MaxTags        int
	MaxTagLength   int
	MaxChunkSize   int
	IdleTimeout    time.Duration
	FrameTimeout   time.Duration
	PartialExpiry  time.Duration
}
