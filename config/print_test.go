package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestWriteClientShowsSourcesNotTokens(t *testing.T) {
	const secret = "eyJhbGciOiJIUzI1NiJ9.s3cret"
	c, src, err := setup{
		file: "chunk_size = \"2MiB\"\ntags = [\"a\", \"b\"]\n",
		env:  map[string]string{"HOIST_TOKEN": secret},
		args: []string{"--server", "tls://example.com:7800"},
	}.client(t)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := WriteClient(&out, &c, &src); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		`server = "tls://example.com:7800"`, "# flag --server\n",
		`token = "[redacted]"`, "# env HOIST_TOKEN",
		`chunk_size = "2MiB"`, "config.toml:1",
		`tags = ["a", "b"]`,
		`retry.base = "250ms"`, "# default",
		`ui.color = "auto"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	// Nothing that formats the settings may show the token.
	for _, shown := range []string{got, fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(src)} {
		if strings.Contains(shown, "s3cret") {
			t.Errorf("the token shows in %q", shown)
		}
	}
}

func TestWriteServer(t *testing.T) {
	s, src, err := setup{args: []string{"--quota", "1GB"}}.server(t)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := WriteServer(&out, &s, &src); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`serve.limits.quota = "1GB"`, "# flag --quota", `serve.listen = ["127.0.0.1:7800"]`, `serve.limits.partial_expiry = "168h0m0s"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestEffectiveConfigIsValidTOML feeds the output of WriteClient and
// WriteServer back in as a config file: it must read back the same settings.
func TestEffectiveConfigIsValidTOML(t *testing.T) {
	c, csrc, err := setup{args: []string{"--tag", "x", "--chunk-size", "3MiB"}}.client(t)
	if err != nil {
		t.Fatal(err)
	}
	s, ssrc, err := setup{args: []string{"--quota", "2GiB", "--listen", "a:1"}}.server(t)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := WriteClient(&out, &c, &csrc); err != nil {
		t.Fatal(err)
	}
	if err := WriteServer(&out, &s, &ssrc); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "effective.toml")
	if err := os.WriteFile(path, []byte(out.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(name string) string { return map[string]string{envConfig: path, "HOME": "/nonexistent"}[name] }
	c2, _, err := LoadClient(nil, getenv)
	if err != nil {
		t.Fatalf("reading back:\n%s\n%v", out.String(), err)
	}
	s2, _, err := LoadServer(nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, c2) || !reflect.DeepEqual(s, s2) {
		t.Errorf("read back differently:\n%+v\n%+v\n%+v\n%+v", c, c2, s, s2)
	}
}

// settingLine matches the commented-out settings of the example file.
var settingLine = regexp.MustCompile(`(?m)^#(\[|[a-z_]+ = )`)

// TestExample checks that the example file is valid as it stands, that it
// documents every setting, and that each commented-out value is the
// default: uncommented, it changes nothing.
func TestExample(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hoist", "config.toml")
	if err := WriteExample(path, false); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("example file: %v, mode %v; want 0600", err, info.Mode())
	}
	getenv := func(name string) string {
		return map[string]string{envConfig: path, "HOME": dir}[name]
	}
	c, _, err := LoadClient(nil, getenv)
	if err != nil || !reflect.DeepEqual(c, DefaultClient()) {
		t.Errorf("example as written: %+v, %v", c, err)
	}

	uncommented := settingLine.ReplaceAllString(Example(), "$1")
	if n := strings.Count(Example(), "\n#") - strings.Count(uncommented, "\n#"); n < 30 {
		t.Errorf("only %d settings uncommented; the pattern no longer matches the example", n)
	}
	if err := os.WriteFile(path, []byte(uncommented), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err = LoadClient(nil, getenv)
	if err != nil || !reflect.DeepEqual(c, DefaultClient()) {
		t.Errorf("example uncommented:\n%+v\nwant the defaults\n%+v\n%v", c, DefaultClient(), err)
	}
	s, _, err := LoadServer(nil, getenv)
	if err != nil || !reflect.DeepEqual(s, DefaultServer(getenv)) {
		t.Errorf("example uncommented:\n%+v\nwant the defaults\n%+v\n%v", s, DefaultServer(getenv), err)
	}

	for _, key := range append(fieldKeys(clientFields), fieldKeys(serverFields)...) {
		if !strings.Contains(Example(), key[len(key)-1]+" = ") {
			t.Errorf("the example does not document %s", key)
		}
	}
}

func TestWriteExampleRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("server = \"mine\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteExample(path, false)
	if err == nil || !strings.Contains(err.Error(), "already exists; add --force") {
		t.Errorf("overwrite without force: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "server = \"mine\"\n" {
		t.Errorf("the existing file changed: %q", data)
	}
	if err := WriteExample(path, true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != Example() {
		t.Error("--force did not write the example")
	}
}

func TestReferenceListsEverySetting(t *testing.T) {
	var out strings.Builder
	if err := WriteReference(&out); err != nil {
		t.Fatal(err)
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterClientFlags(fs)
	RegisterUIFlags(fs)
	RegisterServerFlags(fs)
	fs.VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(out.String(), "  --"+f.Name+"\n") {
			t.Errorf("reference lacks --%s", f.Name)
		}
	})
	for _, f := range serverFields {
		if !strings.Contains(out.String(), f.key) || !strings.Contains(out.String(), f.env) {
			t.Errorf("reference lacks %s or %s", f.key, f.env)
		}
	}
}
