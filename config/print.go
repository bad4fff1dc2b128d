package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

//go:embed example.toml
var example string

// Example returns a commented config file that documents every setting and
// its default.
func Example() string { return example }

// WriteExample writes Example to path, creating its directory. It refuses
// to replace an existing file unless force is set. The file is private to
// its owner, since tokens may end up in it.
func WriteExample(path string, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	mode := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		mode = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, mode, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; add --force to overwrite it", path)
	}
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, example); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteClient writes the client settings as TOML, one dotted key a line,
// each followed by a comment saying where its value came from. Tokens show
// as "[redacted]".
func WriteClient(w io.Writer, c *Client, src *Sources) error {
	return writeFields(w, clientFields, c, src)
}

// WriteServer writes the server settings like WriteClient.
func WriteServer(w io.Writer, s *Server, src *Sources) error {
	return writeFields(w, serverFields, s, src)
}

func writeFields[T any](w io.Writer, fields []field[T], settings *T, src *Sources) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s = %s\t# %s\n", f.key, f.bind(settings).toml(), src.Of(f.key))
	}
	return tw.Flush()
}

// WriteReference describes every setting: its key in the config file, its
// environment variable, its flag, what it does and its default.
func WriteReference(w io.Writer) error {
	client, server := DefaultClient(), DefaultServer(os.Getenv)
	fmt.Fprintf(w, "  (no key)  %s  --%s\n      the config file to read\n", envConfig, configFlag)
	fmt.Fprintf(w, "\nUploading (top level of the file; a [servers.NAME] profile may set all but profile, follow_links, strict and ui.*):\n")
	writeReference(w, clientFields, &client)
	fmt.Fprintf(w, "  ui.color  %s\n      set to anything means never, unless HOIST_COLOR or --color says otherwise\n", envNoColor)
	fmt.Fprintf(w, "\nThe server, 'hoist serve' ([serve] table of the file):\n")
	writeReference(w, serverFields, &server)
	return nil
}

func writeReference[T any](w io.Writer, fields []field[T], defaults *T) {
	for _, f := range fields {
		fmt.Fprintf(w, "  %s  %s  --%s\n      %s", f.key, f.env, f.flag, strings.ReplaceAll(f.usage, "`", ""))
		if def := plain(f.bind(defaults)); def != "" {
			fmt.Fprintf(w, " (default %s)", def)
		}
		fmt.Fprintln(w)
	}
}
