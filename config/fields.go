package config

import (
	"time"

	"github.com/hoist-dev/hoist/internal/xdg"
)

// A field is one setting: its key in the TOML file, its environment variable
// and flag (either may be absent), and where its value is stored in a T.
type field[T any] struct {
	key   string // dotted TOML key: "chunk_size", "serve.limits.quota"
	env   string // HOIST_* variable, "" if none
	flag  string // flag name without dashes, "" if none
	usage string // one line for help texts; `quotes` name the flag's argument
	group group
	bind  func(*T) value
}

// group says which Register*Flags function registers a field's flag, and
// whether a [servers.NAME] profile may set it.
type group int

const (
	groupClient group = iota // connection settings; profiles may set them
	groupTree                // how directories are walked: `hoist send` and the terminal UI
	groupSend                // `hoist send` only
	groupUI                  // terminal UI options
	groupServer              // `hoist serve`
)

// Environment variables that are not tied to one field.
const (
	envConfig  = "HOIST_CONFIG"
	envProfile = "HOIST_PROFILE"
	envNoColor = "NO_COLOR"
)

// profileKey is the top-level key naming the default profile.
const profileKey = "profile"

var clientFields = []field[Client]{
	{key: profileKey, env: envProfile, flag: "profile", usage: "use the [servers.`NAME`] profile of the config file",
		bind: func(c *Client) value { return stringValue{&c.Profile} }},
	{key: "server", env: "HOIST_SERVER", flag: "server", usage: "server `address`: host:port, tcp://host:port, tls://host:port, unix:///path or ssh://[user@]host[:port]",
		bind: func(c *Client) value { return stringValue{&c.Server} }},
	{key: "token", env: "HOIST_TOKEN", flag: "token", usage: "access `token` (prefer --token-file or --token-command: other users can see flags)",
		bind: func(c *Client) value { return secretValue{&c.Token} }},
	{key: "token_file", env: "HOIST_TOKEN_FILE", flag: "token-file", usage: "read the access token from this `file`, afresh for every connection",
		bind: func(c *Client) value { return pathValue{&c.TokenFile} }},
	{key: "token_command", env: "HOIST_TOKEN_COMMAND", flag: "token-command", usage: "run this shell `command` for the access token: its standard output",
		bind: func(c *Client) value { return stringValue{&c.TokenCommand} }},
	{key: "tags", env: "HOIST_TAGS", flag: "tag", usage: "add this `tag` to every upload (repeatable; commas separate several)",
		bind: func(c *Client) value { return listValue{&c.Tags} }},
	{key: "limit_rate", env: "HOIST_LIMIT_RATE", flag: "limit-rate", usage: "send at most this `size` of chunks a second, e.g. 2MiB; 0 is no limit",
		bind: func(c *Client) value { return sizeValue[int64]{&c.LimitRate} }},
	{key: "exclude", env: "HOIST_EXCLUDE", flag: "exclude", usage: "leave out files and directories matching this `glob`, matched against paths relative to the directory sent (in the terminal UI, relative to the directory it started in); ** matches any number of directories (repeatable; commas separate several)",
		bind: func(c *Client) value { return listValue{&c.Exclude} }},
	{key: "chunk_size", env: "HOIST_CHUNK_SIZE", flag: "chunk-size", usage: "largest chunk `size` asked for; below it the chunk size adapts to the measured throughput",
		bind: func(c *Client) value { return sizeValue[int]{&c.ChunkSize} }},
	{key: "window.chunks", env: "HOIST_WINDOW_CHUNKS", flag: "window-chunks", usage: "at most `n` unacknowledged chunks in flight",
		bind: func(c *Client) value { return intValue{&c.Window.Chunks} }},
	{key: "window.bytes", env: "HOIST_WINDOW_BYTES", flag: "window-bytes", usage: "at most this `size` of unacknowledged chunks in flight",
		bind: func(c *Client) value { return sizeValue[int64]{&c.Window.Bytes} }},
	{key: "retry.base", env: "HOIST_RETRY_BASE", flag: "retry-base", usage: "first reconnect `delay`; it doubles, with jitter, after each failure",
		bind: func(c *Client) value { return durationValue{&c.Retry.Base} }},
	{key: "retry.cap", env: "HOIST_RETRY_CAP", flag: "retry-cap", usage: "longest reconnect `delay`",
		bind: func(c *Client) value { return durationValue{&c.Retry.Cap} }},
	{key: "retry.attempts", env: "HOIST_RETRY_ATTEMPTS", flag: "retry-attempts", usage: "give up after `n` connection attempts without progress; 0 retries forever",
		bind: func(c *Client) value { return intValue{&c.Retry.Attempts} }},
	{key: "retry.budget", env: "HOIST_RETRY_BUDGET", flag: "retry-budget", usage: "give up after this `duration` of reconnecting without progress; 0 retries forever (the terminal UI never gives up)",
		bind: func(c *Client) value { return durationValue{&c.Retry.Budget} }},
	{key: "ca_file", env: "HOIST_CA_FILE", flag: "ca-file", usage: "trust the PEM certificates in this `file` for tls:// servers instead of the system's",
		bind: func(c *Client) value { return pathValue{&c.CAFile} }},
	{key: "ssh_command", env: "HOIST_SSH_COMMAND", flag: "ssh-command", usage: "ssh `command` and its options for ssh:// servers, split at spaces",
		bind: func(c *Client) value { return stringValue{&c.SSHCommand} }},
	{key: "remote_command", env: "HOIST_REMOTE_COMMAND", flag: "remote-command", usage: "`command` run on the ssh host; it must serve the protocol on stdin/stdout",
		bind: func(c *Client) value { return stringValue{&c.RemoteCommand} }},
	{key: "read_timeout", env: "HOIST_READ_TIMEOUT", flag: "read-timeout", usage: "how long a connection may stall: drop it and retry after this `duration` with no byte moving either way (a slow link that keeps moving is never cut)",
		bind: func(c *Client) value { return durationValue{&c.ReadTimeout} }},
	{key: "follow_links", env: "HOIST_FOLLOW_LINKS", flag: "follow-links", usage: "walk symlinked directories as directories, under the link's name, in 'hoist send' and the browser (--no-follow-links skips and reports them; the browser shows them as links, never entered)", group: groupTree,
		bind: func(c *Client) value { return boolValue{&c.FollowLinks} }},
	{key: "strict", env: "HOIST_STRICT", flag: "strict", usage: "exit 1 when a recursive send skipped any path (unreadable, a dangling symlink, a loop), after sending the rest", group: groupSend,
		bind: func(c *Client) value { return boolValue{&c.Strict} }},
	{key: "ui.start_dir", env: "HOIST_START_DIR", flag: "start-dir", usage: "`directory` the file browser opens in", group: groupUI,
		bind: func(c *Client) value { return pathValue{&c.UI.StartDir} }},
	{key: "ui.show_hidden", env: "HOIST_SHOW_HIDDEN", flag: "show-hidden", usage: "list hidden files in the browser", group: groupUI,
		bind: func(c *Client) value { return boolValue{&c.UI.ShowHidden} }},
	{key: "ui.color", env: "HOIST_COLOR", flag: "color", usage: "use colour `when`: auto, always or never (NO_COLOR set means never)", group: groupUI,
		bind: func(c *Client) value { return choiceValue{&c.UI.Color, []string{"auto", "always", "never"}} }},
	{key: "agent", env: "HOIST_AGENT", flag: "agent", usage: "run uploads in the background agent `when`: auto (over SSH, or when one runs), always or never", group: groupUI,
		bind: func(c *Client) value { return choiceValue{&c.UI.Agent, []string{"auto", "always", "never"}} }},
}

var serverFields = []field[Server]{
	{key: "serve.listen", env: "HOIST_LISTEN", flag: "listen", usage: "TCP `address` to listen on (repeatable; commas separate several; empty for none; the default applies only without --unix and --stdio)", group: groupServer,
		bind: func(s *Server) value { return listValue{&s.Listen} }},
	{key: "serve.unix", env: "HOIST_UNIX", flag: "unix", usage: "listen on the Unix socket at `path` too", group: groupServer,
		bind: func(s *Server) value { return pathValue{&s.Unix} }},
	{key: "serve.tls_cert", env: "HOIST_TLS_CERT", flag: "tls-cert", usage: "PEM certificate chain `file`; with --tls-key, TCP listeners speak TLS", group: groupServer,
		bind: func(s *Server) value { return pathValue{&s.TLSCert} }},
	{key: "serve.tls_key", env: "HOIST_TLS_KEY", flag: "tls-key", usage: "PEM private key `file` of --tls-cert", group: groupServer,
		bind: func(s *Server) value { return pathValue{&s.TLSKey} }},
	{key: "serve.root", env: "HOIST_ROOT", flag: "root", usage: "data `directory`: stored files, metadata and the generated signing key", group: groupServer,
		bind: func(s *Server) value { return pathValue{&s.Root} }},
	{key: "serve.chaos", env: "HOIST_CHAOS", flag: "chaos", usage: "misbehave on purpose as `spec` says, to exercise clients (a testing aid); empty is off", group: groupServer,
		bind: func(s *Server) value { return stringValue{&s.Chaos} }},
	{key: "serve.disable_raw_transfer", env: "HOIST_DISABLE_RAW_TRANSFER", flag: "disable-raw-transfer", usage: "do not offer the raw-transfer extension: clients send chunks as base64 JSON", group: groupServer,
		bind: func(s *Server) value { return boolValue{&s.DisableRawTransfer} }},
	{key: "serve.metrics_listen", env: "HOIST_METRICS_LISTEN", flag: "metrics-listen", usage: "serve Prometheus /metrics, /healthz and /readyz over HTTP on this TCP `address`; empty for none", group: groupServer,
		bind: func(s *Server) value { return stringValue{&s.MetricsListen} }},
	{key: "serve.drain_delay", env: "HOIST_DRAIN_DELAY", flag: "drain-delay", usage: "on SIGINT or SIGTERM, answer /readyz 503 for this `duration` before closing the listeners (with --metrics-listen)", group: groupServer,
		bind: func(s *Server) value { return durationValue{&s.DrainDelay} }},
	{key: "serve.log_format", env: "HOIST_LOG_FORMAT", flag: "log-format", usage: "log `format` on stderr: text or json (one object per line)", group: groupServer,
		bind: func(s *Server) value { return choiceValue{&s.LogFormat, []string{"text", "json"}} }},
	{key: "serve.log_level", env: "HOIST_LOG_LEVEL", flag: "log-level", usage: "least `level` logged: debug, info, warn or error", group: groupServer,
		bind: func(s *Server) value { return choiceValue{&s.LogLevel, []string{"debug", "info", "warn", "error"}} }},
	{key: "serve.store.url", env: "HOIST_STORE", flag: "store", usage: "keep uploaded bytes in the S3-compatible object store at s3://`BUCKET/PREFIX` (needs --meta); empty is the data directory", group: groupServer,
		bind: func(s *Server) value { return stringValue{&s.Store.URL} }},
	{key: "serve.store.s3_endpoint", env: "HOIST_S3_ENDPOINT", flag: "s3-endpoint", usage: "`URL` of the object store when it is not AWS S3 (credentials come from the AWS SDK's default chain)", group: groupServer,
		bind: func(s *Server) value { return stringValue{&s.Store.S3Endpoint} }},
	{key: "serve.store.s3_path_style", env: "HOIST_S3_PATH_STYLE", flag: "s3-path-style", usage: "address buckets as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT", group: groupServer,
		bind: func(s *Server) value { return boolValue{&s.Store.S3PathStyle} }},
	{key: "serve.meta.url", env: "HOIST_META", flag: "meta", usage: "keep metadata in the PostgreSQL database at postgres://`USER@HOST/DB`, shared by several servers; empty is bbolt in the data directory", group: groupServer,
		bind: func(s *Server) value { return stringValue{&s.Meta.URL} }},
	{key: "serve.jwt.secret_file", env: "HOIST_JWT_SECRET_FILE", flag: "jwt-secret-file", usage: "HS256 secret `file` to verify tokens with (default: DIR/jwt-secret, generated)", group: groupServer,
		bind: func(s *Server) value { return pathValue{&s.JWT.SecretFile} }},
	{key: "serve.jwt.public_key_file", env: "HOIST_JWT_PUBLIC_KEY_FILE", flag: "jwt-public-key", usage: "PEM Ed25519 (EdDSA) or RSA (RS256) public key `file` to verify tokens with", group: groupServer,
		bind: func(s *Server) value { return pathValue{&s.JWT.PublicKeyFile} }},
	{key: "serve.jwt.issuer", env: "HOIST_JWT_ISSUER", flag: "jwt-issuer", usage: "require this `issuer` (iss claim)", group: groupServer,
		bind: func(s *Server) value { return stringValue{&s.JWT.Issuer} }},
	{key: "serve.jwt.audience", env: "HOIST_JWT_AUDIENCE", flag: "jwt-audience", usage: "require this `audience` (aud claim)", group: groupServer,
		bind: func(s *Server) value { return stringValue{&s.JWT.Audience} }},
	{key: "serve.jwt.leeway", env: "HOIST_JWT_LEEWAY", flag: "jwt-leeway", usage: "clock `skew` allowed on exp, nbf and iat", group: groupServer,
		bind: func(s *Server) value { return durationValue{&s.JWT.Leeway} }},
	{key: "serve.limits.max_file_size", env: "HOIST_MAX_FILE_SIZE", flag: "max-file-size", usage: "largest file `size` accepted", group: groupServer,
		bind: func(s *Server) value { return sizeValue[int64]{&s.Limits.MaxFileSize} }},
	{key: "serve.limits.quota", env: "HOIST_QUOTA", flag: "quota", usage: "`bytes` each user may hold, completed plus unfinished uploads; 0 is unlimited", group: groupServer,
		bind: func(s *Server) value { return sizeValue[int64]{&s.Limits.Quota} }},
	{key: "serve.limits.max_connections", env: "HOIST_MAX_CONNECTIONS", flag: "max-connections", usage: "at most `n` simultaneous connections; more are answered busy", group: groupServer,
		bind: func(s *Server) value { return intValue{&s.Limits.MaxConnections} }},
	{key: "serve.limits.max_files", env: "HOIST_MAX_FILES", flag: "max-files", usage: "at most `n` files in one upload", group: groupServer,
		bind: func(s *Server) value { return intValue{&s.Limits.MaxFiles} }},
	{key: "serve.limits.max_tags", env: "HOIST_MAX_TAGS", flag: "max-tags", usage: "at most `n` tags on one upload", group: groupServer,
		bind: func(s *Server) value { return intValue{&s.Limits.MaxTags} }},
	{key: "serve.limits.max_tag_length", env: "HOIST_MAX_TAG_LENGTH", flag: "max-tag-length", usage: "longest tag, in `bytes`", group: groupServer,
		bind: func(s *Server) value { return intValue{&s.Limits.MaxTagLength} }},
	{key: "serve.limits.max_chunk_size", env: "HOIST_MAX_CHUNK_SIZE", flag: "max-chunk-size", usage: "largest chunk `size` granted to a client", group: groupServer,
		bind: func(s *Server) value { return sizeValue[int]{&s.Limits.MaxChunkSize} }},
	{key: "serve.limits.idle_timeout", env: "HOIST_IDLE_TIMEOUT", flag: "idle-timeout", usage: "close connections that send nothing for this `duration`", group: groupServer,
		bind: func(s *Server) value { return durationValue{&s.Limits.IdleTimeout} }},
	{key: "serve.limits.frame_timeout", env: "HOIST_FRAME_TIMEOUT", flag: "frame-timeout", usage: "longest silence inside a frame: drop a connection that stops sending for this `duration` in the middle of a frame", group: groupServer,
		bind: func(s *Server) value { return durationValue{&s.Limits.FrameTimeout} }},
	{key: "serve.limits.partial_expiry", env: "HOIST_PARTIAL_EXPIRY", flag: "partial-expiry", usage: "forget unfinished uploads untouched for this `duration`, deleting their data", group: groupServer,
		bind: func(s *Server) value { return durationValue{&s.Limits.PartialExpiry} }},
}

// DefaultClient returns the client settings used where nothing else is set.
func DefaultClient() Client {
	return Client{
		Server:        "127.0.0.1:7800",
		ChunkSize:     1 << 20,
		Window:        Window{Chunks: 256, Bytes: 64 << 20},
		Retry:         Retry{Base: 250 * time.Millisecond, Cap: 30 * time.Second, Budget: 2 * time.Minute},
		ReadTimeout:   30 * time.Second,
		SSHCommand:    "ssh",
		RemoteCommand: "hoist serve --stdio",
		FollowLinks:   true,
		UI:            UI{StartDir: ".", Color: "auto", Agent: "auto"},
	}
}

// DefaultServer returns the server settings used where nothing else is set.
// The data directory is $XDG_DATA_HOME/hoist, else ~/.local/share/hoist;
// getenv reads the environment (os.Getenv).
func DefaultServer(getenv func(string) string) Server {
	return Server{
		Listen:    []string{"127.0.0.1:7800"},
		Root:      xdg.FromEnv(getenv).Data(),
		JWT:       JWT{Leeway: 30 * time.Second},
		LogFormat: "text",
		LogLevel:  "info",
		Limits: Limits{
			MaxFileSize:    64 << 30,
			MaxConnections: 256,
			MaxFiles:       1000,
			MaxTags:        32,
			MaxTagLength:   64,
			MaxChunkSize:   4 << 20,
			IdleTimeout:    5 * time.Minute,
			FrameTimeout:   30 * time.Second,
			PartialExpiry:  7 * 24 * time.Hour,
		},
	}
}

// DefaultPath returns the config file read when --config is not given:
// $XDG_CONFIG_HOME/hoist/config.toml, else ~/.config/hoist/config.toml.
func DefaultPath(getenv func(string) string) string {
	return xdg.FromEnv(getenv).Config("config.toml")
}
