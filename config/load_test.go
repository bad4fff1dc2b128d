package config

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// setup is one run of the loader: a config file at the default XDG
// location (none if file is ""), an environment, and command-line flags.
type setup struct {
	file string
	env  map[string]string
	args []string
}

// home creates an isolated home with the setup's config file and returns
// the environment to load with.
func (s setup) environment(t *testing.T) func(string) string {
	t.Helper()
	home := t.TempDir()
	env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "xdg")}
	if s.file != "" {
		path := filepath.Join(home, "xdg", "hoist", "config.toml")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s.file), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range s.env {
		env[k] = v
	}
	return func(name string) string { return env[name] }
}

func (s setup) client(t *testing.T) (Client, Sources, error) {
	t.Helper()
	getenv := s.environment(t)
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	RegisterClientFlags(fs)
	RegisterUIFlags(fs)
	if err := fs.Parse(s.args); err != nil {
		t.Fatalf("parse %q: %v", s.args, err)
	}
	return LoadClient(fs, getenv)
}

func (s setup) server(t *testing.T) (Server, Sources, error) {
	t.Helper()
	getenv := s.environment(t)
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	RegisterServerFlags(fs)
	if err := fs.Parse(s.args); err != nil {
		t.Fatalf("parse %q: %v", s.args, err)
	}
	return LoadServer(fs, getenv)
}

func TestDefaultsWithoutFile(t *testing.T) {
	c, src, err := setup{}.client(t)
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultClient(); !reflect.DeepEqual(c, want) {
		t.Errorf("client = %+v\nwant %+v", c, want)
	}
	if src.FileFound || !strings.HasSuffix(src.File, filepath.Join("xdg", "hoist", "config.toml")) {
		t.Errorf("sources file = %q found %v; want the XDG path, not found", src.File, src.FileFound)
	}
	for _, f := range clientFields {
		if s := src.Of(f.key); s.Kind != SourceDefault {
			t.Errorf("source of %s = %v, want default", f.key, s)
		}
	}
	want := DefaultClient()
	if c.ChunkSize != 1<<20 || want.Window != (Window{256, 64 << 20}) || c.Retry != (Retry{250 * time.Millisecond, 30 * time.Second, 0, 2 * time.Minute}) || c.ReadTimeout != 30*time.Second {
		t.Errorf("defaults differ from the documented ones: %+v", c)
	}
}

// TestClientPrecedence sets each setting in every layer in turn and checks
// that flags beat the environment, which beats the file, which beats the
// defaults, and that the source of each value is recorded.
func TestClientPrecedence(t *testing.T) {
	cases := []struct {
		key                        string
		fileLine                   string // as written at the top of the file
		env, envText, flag, flagIn string
		get                        func(Client) any
		def, file, fromEnv, flagV  any
	}{
		{"server", `server = "file:1"`, "HOIST_SERVER", "env:2", "server", "flag:3",
			func(c Client) any { return c.Server }, "127.0.0.1:7800", "file:1", "env:2", "flag:3"},
		{"tags", `tags = ["f1", "f2"]`, "HOIST_TAGS", "e1, e2", "tag", "g1",
			func(c Client) any { return c.Tags }, []string(nil), []string{"f1", "f2"}, []string{"e1", "e2"}, []string{"g1"}},
		{"chunk_size", `chunk_size = "2MiB"`, "HOIST_CHUNK_SIZE", "3000000", "chunk-size", "4KiB",
			func(c Client) any { return c.ChunkSize }, 1 << 20, 2 << 20, 3000000, 4 << 10},
		{"window.bytes", "window.bytes = 1048576", "HOIST_WINDOW_BYTES", "2MB", "window-bytes", "3MiB",
			func(c Client) any { return c.Window.Bytes }, int64(64 << 20), int64(1 << 20), int64(2e6), int64(3 << 20)},
		{"window.chunks", "window.chunks = 8", "HOIST_WINDOW_CHUNKS", "9", "window-chunks", "10",
			func(c Client) any { return c.Window.Chunks }, 256, 8, 9, 10},
		{"retry.base", `retry = { base = "1s" }`, "HOIST_RETRY_BASE", "2s", "retry-base", "3s",
			func(c Client) any { return c.Retry.Base }, 250 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second},
		{"retry.attempts", "retry.attempts = 4", "HOIST_RETRY_ATTEMPTS", "5", "retry-attempts", "6",
			func(c Client) any { return c.Retry.Attempts }, 0, 4, 5, 6},
		{"retry.budget", `retry.budget = "10s"`, "HOIST_RETRY_BUDGET", "20s", "retry-budget", "0",
			func(c Client) any { return c.Retry.Budget }, 2 * time.Minute, 10 * time.Second, 20 * time.Second, time.Duration(0)},
		{"ca_file", `ca_file = "/f.pem"`, "HOIST_CA_FILE", "/e.pem", "ca-file", "/g.pem",
			func(c Client) any { return c.CAFile }, "", "/f.pem", "/e.pem", "/g.pem"},
		{"read_timeout", `read_timeout = "1m"`, "HOIST_READ_TIMEOUT", "2m", "read-timeout", "3m",
			func(c Client) any { return c.ReadTimeout }, 30 * time.Second, time.Minute, 2 * time.Minute, 3 * time.Minute},
		{"ui.show_hidden", "ui.show_hidden = true", "HOIST_SHOW_HIDDEN", "false", "show-hidden", "true",
			func(c Client) any { return c.UI.ShowHidden }, false, true, false, true},
		{"ui.color", `ui.color = "never"`, "HOIST_COLOR", "always", "color", "never",
			func(c Client) any { return c.UI.Color }, "auto", "never", "always", "never"},
		{"ui.start_dir", `ui.start_dir = "/f"`, "HOIST_START_DIR", "/e", "start-dir", "/g",
			func(c Client) any { return c.UI.StartDir }, ".", "/f", "/e", "/g"},
		{"token_file", `token_file = "/f"`, "HOIST_TOKEN_FILE", "/e", "token-file", "/g",
			func(c Client) any { return c.TokenFile }, "", "/f", "/e", "/g"},
		{"token_command", `token_command = "f"`, "HOIST_TOKEN_COMMAND", "e", "token-command", "g",
			func(c Client) any { return c.TokenCommand }, "", "f", "e", "g"},
		{"token", `token = "f"`, "HOIST_TOKEN", "e", "token", "g",
			func(c Client) any { return c.Token.Reveal() }, "", "f", "e", "g"},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			file := tc.fileLine + "\n"
			env := map[string]string{tc.env: tc.envText}
			args := []string{"--" + tc.flag + "=" + tc.flagIn}
			layers := []struct {
				name string
				s    setup
				want any
				src  string
			}{
				{"defaults", setup{}, tc.def, "default"},
				{"file", setup{file: file}, tc.file, "config.toml:1"},
				{"env over file", setup{file: file, env: env}, tc.fromEnv, "env " + tc.env},
				{"flag over env and file", setup{file: file, env: env, args: args}, tc.flagV, "flag --" + tc.flag},
				{"flag over env", setup{env: env, args: args}, tc.flagV, "flag --" + tc.flag},
			}
			for _, l := range layers {
				c, src, err := l.s.client(t)
				if err != nil {
					t.Fatalf("%s: %v", l.name, err)
				}
				if got := tc.get(c); !reflect.DeepEqual(got, l.want) {
					t.Errorf("%s: %s = %#v, want %#v", l.name, tc.key, got, l.want)
				}
				if got := src.Of(tc.key).String(); !strings.HasSuffix(got, l.src) {
					t.Errorf("%s: source of %s = %q, want one ending %q", l.name, tc.key, got, l.src)
				}
			}
		})
	}
}

func TestServerPrecedence(t *testing.T) {
	file := `
[serve]
listen = ["0.0.0.0:1"]
root = "/srv/file"

[serve.limits]
quota = "10GB"
idle_timeout = "1m"
`
	env := map[string]string{"HOIST_LISTEN": "a:1,b:2", "HOIST_QUOTA": "20GB", "HOIST_ROOT": "/srv/env"}
	args := []string{"--listen", "x:1", "--listen", "y:2", "--root", "/srv/flag"}

	s, src, err := setup{}.server(t)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Listen, []string{"127.0.0.1:7800"}) || s.Limits.Quota != 0 || s.Limits.MaxFileSize != 64<<30 || s.Limits.PartialExpiry != 168*time.Hour {
		t.Errorf("defaults: %+v", s)
	}
	if !strings.HasSuffix(s.Root, filepath.Join(".local", "share", "hoist")) {
		t.Errorf("default root = %q, want ~/.local/share/hoist", s.Root)
	}

	s, src, err = setup{file: file}.server(t)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Listen, []string{"0.0.0.0:1"}) || s.Root != "/srv/file" || s.Limits.Quota != 10e9 || s.Limits.IdleTimeout != time.Minute {
		t.Errorf("file: %+v", s)
	}
	if got := src.Of("serve.limits.quota").String(); !strings.HasSuffix(got, "config.toml:7") {
		t.Errorf("source of quota = %q, want config.toml:7", got)
	}

	s, src, err = setup{file: file, env: env}.server(t)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Listen, []string{"a:1", "b:2"}) || s.Root != "/srv/env" || s.Limits.Quota != 20e9 || s.Limits.IdleTimeout != time.Minute {
		t.Errorf("env over file: %+v", s)
	}
	if got := src.Of("serve.listen").String(); got != "env HOIST_LISTEN" {
		t.Errorf("source of listen = %q", got)
	}

	s, src, err = setup{file: file, env: env, args: args}.server(t)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Listen, []string{"x:1", "y:2"}) || s.Root != "/srv/flag" || s.Limits.Quota != 20e9 {
		t.Errorf("flags over env: %+v", s)
	}
	if got := src.Of("serve.root").String(); got != "flag --root" {
		t.Errorf("source of root = %q", got)
	}
}

func TestDataDirFollowsXDG(t *testing.T) {
	s := DefaultServer(func(name string) string {
		return map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "/data"}[name]
	})
	if s.Root != filepath.Join("/data", "hoist") {
		t.Errorf("root = %q, want /data/hoist", s.Root)
	}
	s = DefaultServer(func(name string) string {
		return map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "relative"}[name]
	})
	if s.Root != filepath.Join("/home/u", ".local", "share", "hoist") {
		t.Errorf("root with a relative XDG_DATA_HOME = %q, want the home fallback", s.Root)
	}
}

func TestProfiles(t *testing.T) {
	file := `
server = "top:1"
chunk_size = "2MiB"
tags = ["top"]
token = "top-token"

[servers.work]
server = "work:1"
tags = ["work"]
token_command = "pass show work"

[servers.work.retry]
attempts = 7

[servers.home]
server = "home:1"
`
	c, src, err := setup{file: file, args: []string{"--profile", "work"}}.client(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile != "work" || c.Server != "work:1" || !slices.Equal(c.Tags, []string{"work"}) || c.Retry.Attempts != 7 || c.ChunkSize != 2<<20 {
		t.Errorf("profile work: %+v", c)
	}
	if c.Token != "" || c.TokenCommand != "pass show work" {
		t.Errorf("the profile's token_command should replace the top-level token: token set %v, command %q", c.Token != "", c.TokenCommand)
	}
	if got := src.Of("server").String(); !strings.HasSuffix(got, "config.toml:8 [servers.work]") {
		t.Errorf("source of server = %q", got)
	}
	if got := src.Of("token").String(); !strings.Contains(got, "ignored: token_command is set by") {
		t.Errorf("source of the replaced token = %q", got)
	}

	// The environment chooses a profile; a variable still beats the profile.
	c, _, err = setup{file: file, env: map[string]string{"HOIST_PROFILE": "home", "HOIST_SERVER": "env:1"}}.client(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile != "home" || c.Server != "env:1" || c.Token.Reveal() != "top-token" {
		t.Errorf("HOIST_PROFILE=home: %+v", c)
	}

	// The file's own profile key picks the default profile; --profile beats it.
	withDefault := "profile = \"home\"\n" + file
	if c, _, err = (setup{file: withDefault}).client(t); err != nil || c.Server != "home:1" {
		t.Errorf("profile key: server %q, %v", c.Server, err)
	}
	if c, _, err = (setup{file: withDefault, args: []string{"--profile=work"}}).client(t); err != nil || c.Server != "work:1" {
		t.Errorf("--profile over the profile key: server %q, %v", c.Server, err)
	}

	_, _, err = setup{file: file, args: []string{"--profile", "play"}}.client(t)
	if err == nil || !strings.Contains(err.Error(), `profile "play"`) || !strings.Contains(err.Error(), "it has home, work") {
		t.Errorf("unknown profile: %v", err)
	}
	_, _, err = setup{args: []string{"--profile", "play"}}.client(t)
	if err == nil || !strings.Contains(err.Error(), "no config file") {
		t.Errorf("profile without a file: %v", err)
	}
}

func TestTokenSourceLayers(t *testing.T) {
	// A token source from a higher layer replaces the file's.
	c, src, err := setup{file: `token = "s3cret-file"`, args: []string{"--token-file", "/run/tok"}}.client(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != "" || c.TokenFile != "/run/tok" {
		t.Errorf("token set %v, token_file %q; want only the flag's token file", c.Token != "", c.TokenFile)
	}
	if got := src.Of("token").String(); !strings.Contains(got, "ignored: token_file is set by flag --token-file") {
		t.Errorf("source of token = %q", got)
	}

	// Two in the same layer are ambiguous.
	_, _, err = setup{env: map[string]string{"HOIST_TOKEN": "s3cret-env", "HOIST_TOKEN_COMMAND": "pass"}}.client(t)
	if err == nil || !strings.Contains(err.Error(), "set only one of token, token_file and token_command") ||
		!strings.Contains(err.Error(), "env HOIST_TOKEN") || !strings.Contains(err.Error(), "env HOIST_TOKEN_COMMAND") {
		t.Errorf("two token sources in the environment: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error reveals the token: %v", err)
	}
}

func TestNoColor(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"NO_COLOR": "1"}, nil, "never"},
		{map[string]string{"NO_COLOR": "1", "HOIST_COLOR": "always"}, nil, "always"},
		{map[string]string{"NO_COLOR": "1"}, []string{"--color=always"}, "always"},
	} {
		c, _, err := setup{file: `ui.color = "always"`, env: tc.env, args: tc.args}.client(t)
		if err != nil || c.UI.Color != tc.want {
			t.Errorf("env %v args %v: color %q, %v; want %q", tc.env, tc.args, c.UI.Color, err, tc.want)
		}
	}
}

func TestConfigFileLocation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "other.toml")
	if err := os.WriteFile(path, []byte(`server = "other:1"`), 0o600); err != nil {
		t.Fatal(err)
	}
	defaultFile := `server = "default:1"`

	c, src, err := setup{file: defaultFile, args: []string{"--config", path}}.client(t)
	if err != nil || c.Server != "other:1" || src.File != path || !src.FileFound {
		t.Errorf("--config: server %q, sources %+v, %v", c.Server, src, err)
	}
	c, _, err = setup{file: defaultFile, env: map[string]string{"HOIST_CONFIG": path}}.client(t)
	if err != nil || c.Server != "other:1" {
		t.Errorf("HOIST_CONFIG: server %q, %v", c.Server, err)
	}
	c, _, err = setup{file: defaultFile}.client(t)
	if err != nil || c.Server != "default:1" {
		t.Errorf("default file: server %q, %v", c.Server, err)
	}

	missing := filepath.Join(dir, "missing.toml")
	if _, _, err := (setup{args: []string{"--config", missing}}).client(t); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("--config naming a missing file: %v; want an error naming it", err)
	}
	if _, _, err := (setup{env: map[string]string{"HOIST_CONFIG": missing}}).server(t); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("HOIST_CONFIG naming a missing file: %v; want an error naming it", err)
	}
}

func TestBadEnvironmentAndFlags(t *testing.T) {
	_, _, err := setup{env: map[string]string{"HOIST_CHUNK_SIZE": "lots", "HOIST_SHOW_HIDDEN": "maybe"}}.client(t)
	for _, want := range []string{`HOIST_CHUNK_SIZE="lots": want a size`, `HOIST_SHOW_HIDDEN="maybe": want true or false`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad environment: %v; want %q in it", err, want)
		}
	}
	_, _, err = setup{env: map[string]string{"HOIST_IDLE_TIMEOUT": "soon"}}.server(t)
	if err == nil || !strings.Contains(err.Error(), `HOIST_IDLE_TIMEOUT="soon": want a duration`) {
		t.Errorf("bad server environment: %v", err)
	}

	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	RegisterClientFlags(fs)
	err = fs.Parse([]string{"--chunk-size", "lots"})
	if err == nil || !strings.Contains(err.Error(), `invalid argument "lots" for "--chunk-size" flag: want a size`) {
		t.Errorf("bad flag: %v", err)
	}
}

func TestValidation(t *testing.T) {
	_, _, err := setup{args: []string{"--chunk-size", "0"}, env: map[string]string{"HOIST_RETRY_CAP": "100ms"}}.client(t)
	for _, want := range []string{
		`chunk_size = 0 (flag --chunk-size) must be at least 1 byte`,
		`retry.cap = "100ms" (env HOIST_RETRY_CAP) must not be less than retry.base`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v; want %q in it", err, want)
		}
	}
	_, _, err = setup{file: "[serve]\ntls_cert = \"c.pem\"\n"}.server(t)
	if err == nil || !strings.Contains(err.Error(), `serve.tls_cert = "c.pem" (`) || !strings.Contains(err.Error(), "config.toml:2) needs serve.tls_key as well") {
		t.Errorf("tls_cert without tls_key: %v", err)
	}
}

func TestFlagHelpShowsDefaultsAndVariables(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	RegisterClientFlags(fs)
	RegisterServerFlags(fs) // --config is registered once
	fs.PrintDefaults()
	for _, want := range []string{"--chunk-size size", "(default 1MiB)", "env HOIST_CHUNK_SIZE", "--config file", `(default "127.0.0.1:7800")`, "--max-file-size", "(default 64GiB)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("flag help lacks %q:\n%s", want, out.String())
		}
	}
}
