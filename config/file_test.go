package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestFileErrors checks, against golden files, the messages for every kind
// of mistake in a config file: each names the file, the line and the key.
func TestFileErrors(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "errors", "*.toml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, err := readFile(path, true)
			if err == nil {
				t.Fatal("no error")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(path, ".toml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./config -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("error message differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
			for line := range strings.Lines(got) {
				if !strings.HasPrefix(line, path+":") {
					t.Errorf("line %q does not name the file and line", line)
				}
			}
			if strings.Contains(got, "12345") {
				t.Errorf("a token's value appears in the error:\n%s", got)
			}
		})
	}
}

// TestCommandsReportFileErrors checks that both loaders refuse a bad file,
// whichever part of it is wrong.
func TestCommandsReportFileErrors(t *testing.T) {
	path := filepath.Join("testdata", "errors", "unknown.toml")
	getenv := func(name string) string { return map[string]string{envConfig: path}[name] }
	if _, _, err := LoadClient(nil, getenv); err == nil || !strings.Contains(err.Error(), path+":21: unknown key") {
		t.Errorf("LoadClient: %v", err)
	}
	if _, _, err := LoadServer(nil, getenv); err == nil || !strings.Contains(err.Error(), path+":2: unknown key") {
		t.Errorf("LoadServer: %v", err)
	}
}

func TestLineOfKeys(t *testing.T) {
	f, err := parseFile("x.toml", []byte(`# comment
server = "a"
window.chunks = 5
ui = { color = "never" }

[servers."my.work"]
server = "b"
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  []string
		line int
	}{
		{[]string{"server"}, 2},
		{[]string{"window", "chunks"}, 3},
		{[]string{"ui", "color"}, 4},
		{[]string{"servers", "my.work"}, 6},
		{[]string{"servers", "my.work", "server"}, 7},
		{[]string{"absent"}, 0},
	} {
		if got := f.line(tc.key); got != tc.line {
			t.Errorf("line(%q) = %d, want %d", tc.key, got, tc.line)
		}
	}
}
