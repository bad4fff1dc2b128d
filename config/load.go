package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/spf13/pflag"

	"github.com/hoist-dev/hoist/internal/xdg"
)

// configFlag is the flag naming the config file.
const configFlag = "config"

// RegisterClientFlags registers --config and the connection flags on fs:
// --profile, --server, --token, --token-file, --token-command, --tag,
// --limit-rate, --exclude, --chunk-size, --window-chunks, --window-bytes, --retry-base, --retry-cap,
// --retry-attempts, --ca-file, --read-timeout and --follow-links.
func RegisterClientFlags(fs *pflag.FlagSet) {
	registerConfigFlag(fs)
	registerFields(fs, clientFields, DefaultClient(), inGroups[Client](groupClient, groupTree))
}

// RegisterSendFlags registers the flags of `hoist send` alone: --strict.
func RegisterSendFlags(fs *pflag.FlagSet) {
	registerFields(fs, clientFields, DefaultClient(), inGroups[Client](groupSend))
}

// connectionKeys are the settings that reach a server and prove who the
// user is, without anything about uploads.
var connectionKeys = []string{profileKey, "server", "token", "token_file", "token_command",
	"ca_file", "ssh_command", "remote_command", "read_timeout"}

// RegisterConnectionFlags registers --config and only the flags that reach
// a server as a user: --profile, --server, --token, --token-file,
// --token-command, --ca-file, --ssh-command, --remote-command and
// --read-timeout, for the commands that talk to a server without uploading
// (`hoist ls --server`, `hoist rm`). LoadClient reads them.
func RegisterConnectionFlags(fs *pflag.FlagSet) {
	registerConfigFlag(fs)
	registerFields(fs, clientFields, DefaultClient(), func(f field[Client]) bool {
		return slices.Contains(connectionKeys, f.key)
	})
}

// RegisterUIFlags registers the terminal UI's flags on fs: --start-dir,
// --show-hidden, --color and --follow-links (unless RegisterClientFlags
// did).
func RegisterUIFlags(fs *pflag.FlagSet) {
	registerFields(fs, clientFields, DefaultClient(), inGroups[Client](groupUI, groupTree))
}

// RegisterServerFlags registers --config and the flags of `hoist serve` on
// fs: --listen, --unix, --tls-cert, --tls-key, --root, --chaos, --jwt-*,
// and the limits (--max-file-size, --quota, --idle-timeout, ...).
func RegisterServerFlags(fs *pflag.FlagSet) {
	registerConfigFlag(fs)
	registerFields(fs, serverFields, DefaultServer(os.Getenv), inGroup[Server](groupServer))
}

// RegisterRootFlags registers --config and the server settings that locate
// its data directory, signing secret and metadata database, --root,
// --jwt-secret-file and --meta, for the commands that work on a server's
// data without running the server (`hoist token`, `hoist ls`). LoadServer then resolves them as
// `hoist serve` does.
func RegisterRootFlags(fs *pflag.FlagSet) {
	registerConfigFlag(fs)
	registerFields(fs, serverFields, DefaultServer(os.Getenv), func(f field[Server]) bool {
		return f.key == "serve.root" || f.key == "serve.jwt.secret_file" || f.key == "serve.meta.url"
	})
}

// RegisterServerFlagsFor registers the flags of the server settings with
// the given keys ("serve.limits.quota"), for commands that read a few of
// them (hoist ls), plus --config.
func RegisterServerFlagsFor(fs *pflag.FlagSet, keys ...string) {
	registerConfigFlag(fs)
	registerFields(fs, serverFields, DefaultServer(os.Getenv), func(f field[Server]) bool {
		return slices.Contains(keys, f.key)
	})
}

func registerConfigFlag(fs *pflag.FlagSet) {
	if fs.Lookup(configFlag) == nil {
		fs.String(configFlag, "", "read this config `file` (default $XDG_CONFIG_HOME/hoist/config.toml, else ~/.config/hoist/config.toml; env "+envConfig+")")
	}
}

// inGroup selects the fields of group g.
func inGroup[T any](g group) func(field[T]) bool {
	return func(f field[T]) bool { return f.group == g }
}

// inGroups selects the fields of any of groups.
func inGroups[T any](groups ...group) func(field[T]) bool {
	return func(f field[T]) bool { return slices.Contains(groups, f.group) }
}

// registerFields registers the flags of the fields that want selects,
// except those fs already has.
func registerFields[T any](fs *pflag.FlagSet, fields []field[T], defaults T, want func(field[T]) bool) {
	for _, f := range fields {
		if f.flag == "" || !want(f) || fs.Lookup(f.flag) != nil {
			continue
		}
		def := f.bind(&defaults)
		fv := &flagValue{key: f.key, kind: kindOf(def), check: func(text string) error {
			var scratch T
			return f.bind(&scratch).Set(text)
		}}
		fs.Var(fv, f.flag, fmt.Sprintf("%s (env %s)", f.usage, f.env))
		fs.Lookup(f.flag).DefValue = plain(def)
	}
}

// flagValue is the pflag.Value of a setting. It keeps the text of each
// occurrence, checked, for LoadClient and LoadServer to apply over the
// lower layers.
type flagValue struct {
	key   string
	kind  string // pflag's type name: "string", "bool", "size", ...
	check func(string) error
	texts []string
}

func (f *flagValue) Set(text string) error {
	if err := f.check(text); err != nil {
		return err
	}
	f.texts = append(f.texts, text)
	return nil
}

func (f *flagValue) String() string {
	if f == nil || len(f.texts) == 0 {
		return ""
	}
	return f.texts[len(f.texts)-1]
}

// Type names the kind of value for help texts and shell completion.
func (f *flagValue) Type() string { return f.kind }

// IsBoolFlag lets boolean settings be given as a bare --flag.
func (f *flagValue) IsBoolFlag() bool { return f.kind == "bool" }

// kindOf names the type of a setting's value as pflag does its own.
func kindOf(v value) string {
	switch v.(type) {
	case boolValue:
		return "bool"
	case intValue:
		return "int"
	case sizeValue[int], sizeValue[int64]:
		return "size"
	case durationValue:
		return "duration"
	case listValue:
		return "strings"
	}
	return "string"
}

// plain writes a default value for flag help: unquoted, secrets and zero
// values left out.
func plain(v value) string {
	switch v := v.(type) {
	case secretValue:
		return ""
	case listValue:
		return strings.Join(*v.p, ",")
	}
	text := v.toml()
	if s, err := strconv.Unquote(text); err == nil {
		text = s
	}
	if text == "false" || text == "0" {
		return ""
	}
	return text
}

// LoadClient returns the client settings: defaults, overridden by the
// config file's top level, then by the chosen [servers.NAME] profile, then
// by HOIST_* variables, then by the flags set on fs (which may be nil).
// getenv reads the environment (os.Getenv). Of token, token_file and
// token_command, only those from the highest layer that sets any are kept.
func LoadClient(fs *pflag.FlagSet, getenv func(string) string) (Client, Sources, error) {
	f, src, err := openFile(fs, getenv)
	if err != nil {
		return Client{}, src, err
	}
	c := DefaultClient()
	setDefaults(clientFields, &src)
	if f != nil {
		decodeFields(f, clientFields, nil, &c, &src) // the file is checked: no errors
	}
	if name := chosenProfile(fs, getenv, c.Profile); name != "" {
		if f == nil || !slices.Contains(f.profiles(), name) {
			return Client{}, src, noProfile(name, f, src)
		}
		decodeFields(f, profileFields(), toml.Key{serversKey, name}, &c, &src)
	}
	errs := applyEnv(clientFields, getenv, &c, &src)
	if getenv(envNoColor) != "" && getenv("HOIST_COLOR") == "" {
		c.UI.Color = "never"
		src.set("ui.color", Source{Kind: SourceEnv, Name: envNoColor})
	}
	errs = append(errs, applyFlags(fs, clientFields, &c, &src)...)
	if len(errs) > 0 {
		return Client{}, src, errors.Join(errs...)
	}
	if err := pickTokenSource(&c, &src); err != nil {
		return Client{}, src, err
	}
	expandPaths(clientFields, &c, xdg.UserHome(getenv))
	return c, src, validateClient(&c, &src)
}

// LoadServer returns the settings of `hoist serve`: defaults, overridden by
// the [serve] table of the config file, then by HOIST_* variables, then by
// the flags set on fs (which may be nil). getenv reads the environment.
func LoadServer(fs *pflag.FlagSet, getenv func(string) string) (Server, Sources, error) {
	f, src, err := openFile(fs, getenv)
	if err != nil {
		return Server{}, src, err
	}
	s := DefaultServer(getenv)
	setDefaults(serverFields, &src)
	if f != nil {
		decodeFields(f, serverFields, nil, &s, &src) // the file is checked: no errors
	}
	errs := applyEnv(serverFields, getenv, &s, &src)
	errs = append(errs, applyFlags(fs, serverFields, &s, &src)...)
	if len(errs) > 0 {
		return Server{}, src, errors.Join(errs...)
	}
	expandPaths(serverFields, &s, xdg.UserHome(getenv))
	return s, src, validateServer(&s, &src)
}

// openFile reads the config file named by --config, else by HOIST_CONFIG,
// else the default one, which alone may be missing. A leading "~" in the
// name is the home directory.
func openFile(fs *pflag.FlagSet, getenv func(string) string) (*file, Sources, error) {
	path, explicit := DefaultPath(getenv), false
	if p := getenv(envConfig); p != "" {
		path, explicit = p, true
	}
	if fs != nil {
		if fl := fs.Lookup(configFlag); fl != nil && fl.Value.String() != "" {
			path, explicit = fl.Value.String(), true
		}
	}
	path = expandHome(path, xdg.UserHome(getenv))
	src := Sources{File: path}
	if path == "" {
		return nil, src, nil
	}
	f, err := readFile(path, explicit)
	src.FileFound = f != nil
	return f, src, err
}

// chosenProfile returns the profile named by --profile, else HOIST_PROFILE,
// else the file's profile key.
func chosenProfile(fs *pflag.FlagSet, getenv func(string) string, fromFile string) string {
	name := fromFile
	if v := getenv(envProfile); v != "" {
		name = v
	}
	if fs != nil {
		if fl := fs.Lookup("profile"); fl != nil && fl.Value.String() != "" {
			name = fl.Value.String()
		}
	}
	return name
}

func noProfile(name string, f *file, src Sources) error {
	if f == nil {
		return fmt.Errorf("profile %q: no config file to find it in (%s does not exist)", name, src.File)
	}
	have := "it has none"
	if names := f.profiles(); len(names) > 0 {
		have = "it has " + strings.Join(names, ", ")
	}
	return fmt.Errorf("profile %q: no [%s] in %s; %s", name, toml.Key{serversKey, name}, f.path, have)
}

func setDefaults[T any](fields []field[T], src *Sources) {
	for _, f := range fields {
		src.set(f.key, Source{Kind: SourceDefault})
	}
}

// applyEnv sets the fields whose variables are set (and not empty).
func applyEnv[T any](fields []field[T], getenv func(string) string, dst *T, src *Sources) []error {
	var errs []error
	for _, f := range fields {
		text := getenv(f.env)
		if text == "" {
			continue
		}
		v := f.bind(dst)
		if err := v.Set(text); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", f.env, text, err))
			continue
		}
		src.set(f.key, Source{Kind: SourceEnv, Name: f.env})
	}
	return errs
}

// applyFlags sets the fields whose flags were given on the command line.
func applyFlags[T any](fs *pflag.FlagSet, fields []field[T], dst *T, src *Sources) []error {
	if fs == nil {
		return nil
	}
	var errs []error
	fs.Visit(func(fl *pflag.Flag) {
		fv, ok := fl.Value.(*flagValue)
		if !ok {
			return
		}
		for _, f := range fields {
			if f.key != fv.key {
				continue
			}
			v := f.bind(dst)
			text := fv.String()
			if _, list := v.(listValue); list {
				text = strings.Join(fv.texts, ",")
			}
			if err := v.Set(text); err != nil {
				errs = append(errs, fmt.Errorf("--%s: %w", fl.Name, err))
				continue
			}
			src.set(f.key, Source{Kind: SourceFlag, Name: fl.Name})
		}
	})
	return errs
}

// tokenKeys are the settings of the token source, in order of preference.
var tokenKeys = []string{"token", "token_file", "token_command"}

// pickTokenSource keeps, of the token settings, only those from the highest
// layer that sets any, so that (say) --token-file overrides a token in the
// file. Two set in that same layer are an error.
func pickTokenSource(c *Client, src *Sources) error {
	values := map[string]*string{"token_file": &c.TokenFile, "token_command": &c.TokenCommand}
	token := string(c.Token)
	values["token"] = &token
	top, winners := -1, []string(nil)
	for _, k := range tokenKeys {
		if *values[k] == "" {
			continue
		}
		switch p := src.Of(k).precedence(); {
		case p > top:
			top, winners = p, []string{k}
		case p == top:
			winners = append(winners, k)
		}
	}
	if len(winners) > 1 {
		var set []string
		for _, k := range winners {
			set = append(set, fmt.Sprintf("%s (%s)", k, src.Of(k)))
		}
		return fmt.Errorf("set only one of token, token_file and token_command: %s", strings.Join(set, " and "))
	}
	for _, k := range tokenKeys {
		if *values[k] == "" || len(winners) == 0 || k == winners[0] {
			continue
		}
		*values[k] = ""
		s := src.Of(k)
		s.Ignored = fmt.Sprintf("%s is set by %s", winners[0], src.Of(winners[0]))
		src.set(k, s)
	}
	c.Token = Secret(token)
	return nil
}
