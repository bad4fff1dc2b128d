package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
)

// TestPathsExpandHome sets path settings to names starting with "~" in each
// layer (the README's token_file = "~/alice.jwt" among them) and checks that
// each comes back under the home directory, and that other names are left
// alone.
func TestPathsExpandHome(t *testing.T) {
	const home = "/home/tester"
	s := setup{
		file: `token_file = "~/alice.jwt"
ui.start_dir = "~alice/photos"
[serve]
root = "~/srv"
jwt.secret_file = "~"
unix = "/run/~/s"
`,
		env: map[string]string{"HOME": home, "HOIST_CA_FILE": "~/ca.pem", "HOIST_TLS_CERT": "~/c.pem"},
	}
	c, _, err := s.client(t)
	if err != nil {
		t.Fatal(err)
	}
	s.args = []string{"--tls-key", "~/key.pem"}
	srv, _, err := s.server(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, got, want string }{
		{"token_file (file)", c.TokenFile, home + "/alice.jwt"},
		{"ca_file (env)", c.CAFile, home + "/ca.pem"},
		{"ui.start_dir (~user is not expanded)", c.UI.StartDir, "~alice/photos"},
		{"serve.root (file)", srv.Root, home + "/srv"},
		{"serve.jwt.secret_file (a bare ~)", srv.JWT.SecretFile, home},
		{"serve.unix (~ not in front)", srv.Unix, "/run/~/s"},
		{"serve.tls_cert (env)", srv.TLSCert, home + "/c.pem"},
		{"serve.tls_key (flag)", srv.TLSKey, home + "/key.pem"},
	} {
		if tc.got != filepath.FromSlash(tc.want) {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// TestConfigFlagExpandsHome names the config file as ~/NAME with --config.
func TestConfigFlagExpandsHome(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "hoist.toml"), []byte("server = \"from-file:1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	RegisterClientFlags(fs)
	if err := fs.Parse([]string{"--config", "~/hoist.toml"}); err != nil {
		t.Fatal(err)
	}
	c, src, err := LoadClient(fs, func(k string) string { return map[string]string{"HOME": home}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Server != "from-file:1" || src.File != filepath.Join(home, "hoist.toml") {
		t.Errorf("server %q from %q; want from-file:1 from ~/hoist.toml", c.Server, src.File)
	}
}

// TestRootFlags checks that the commands working on a server's data
// directory resolve it, and the signing secret, through the same layers as
// `hoist serve`, and take none of the server's other flags.
func TestRootFlags(t *testing.T) {
	s := setup{file: "[serve]\nroot = \"/srv/file\"\njwt.secret_file = \"/etc/secret\"\nlisten = [\"h:1\"]\n"}
	load := func(args ...string) Server {
		t.Helper()
		getenv := s.environment(t)
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		RegisterRootFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatalf("parse %q: %v", args, err)
		}
		srv, _, err := LoadServer(fs, getenv)
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	if srv := load(); srv.Root != "/srv/file" || srv.JWT.SecretFile != "/etc/secret" {
		t.Errorf("from the file: root %q, secret %q", srv.Root, srv.JWT.SecretFile)
	}
	if srv := load("--root", "/srv/flag", "--jwt-secret-file", "/flag/secret"); srv.Root != "/srv/flag" || srv.JWT.SecretFile != "/flag/secret" {
		t.Errorf("from flags: root %q, secret %q", srv.Root, srv.JWT.SecretFile)
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterRootFlags(fs)
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if want := "config jwt-secret-file meta root"; fmt.Sprint(names) != "["+want+"]" {
		t.Errorf("flags %v, want %s", names, want)
	}
}
