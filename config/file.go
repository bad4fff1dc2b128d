package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// serversKey is the table holding named profiles: [servers.NAME].
const serversKey = "servers"

// A file is a parsed, checked config file.
type file struct {
	path string
	data string
	raw  map[string]any
	md   toml.MetaData
}

// readFile reads and checks the config file at path. A missing file is
// reported as (nil, nil) unless the user named it (explicit).
func readFile(path string, explicit bool) (*file, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return parseFile(path, data)
}

// parseFile parses data, read from path, and checks every key and value in
// it, for client and server alike: a typo is reported whichever command
// reads the file.
func parseFile(path string, data []byte) (*file, error) {
	f := &file{path: path, data: string(data)}
	md, err := toml.Decode(f.data, &f.raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.md = md
	return f, f.check()
}

// check reports unknown keys, scalars where tables belong, and values that
// do not suit their settings, all of them, in the order of the file.
func (f *file) check() error {
	var errs []keyError
	bad := map[string]bool{} // keys reported or holding a value: their children are not looked at
	for _, key := range f.md.Keys() {
		if coveredBy(key, bad) {
			continue
		}
		kind, candidates := classify(key)
		switch {
		case kind == leafKey:
			bad[key.String()] = true
		case kind == tableKey && f.md.Type(key...) != "Hash":
			bad[key.String()] = true
			errs = append(errs, f.errorAt(key, fmt.Sprintf("%s = %s: want a table", key, literal(f.lookup(key)))))
		case kind == unknownKey:
			bad[key.String()] = true
			what := "key"
			if f.md.Type(key...) == "Hash" {
				what = "table"
			}
			msg := fmt.Sprintf("unknown %s %q", what, key.String())
			if s := suggest(key, candidates); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, f.errorAt(key, msg))
		}
	}
	errs = append(errs, decodeFields(f, clientFields, nil, new(Client), nil)...)
	for _, name := range f.profiles() {
		errs = append(errs, decodeFields(f, profileFields(), toml.Key{serversKey, name}, new(Client), nil)...)
	}
	errs = append(errs, decodeFields(f, serverFields, nil, new(Server), nil)...)
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b keyError) int { return cmp.Compare(a.line, b.line) })
	joined := make([]error, len(errs))
	for i := range errs {
		joined[i] = errs[i]
	}
	return errors.Join(joined...)
}

// decodeFields sets the fields found in f under prefix on dst, recording
// their sources in src (if not nil), and returns the values that did not
// suit their settings.
func decodeFields[T any](f *file, fields []field[T], prefix toml.Key, dst *T, src *Sources) []keyError {
	var errs []keyError
	for _, fd := range fields {
		key := append(slices.Clone(prefix), strings.Split(fd.key, ".")...)
		x := f.lookup(key)
		if x == nil {
			continue
		}
		v := fd.bind(dst)
		if err := v.decode(x); err != nil {
			shown := key.String() + " = " + literal(x)
			if _, secret := v.(secretValue); secret {
				shown = key.String()
			}
			errs = append(errs, f.errorAt(key, fmt.Sprintf("%s: %v", shown, err)))
			continue
		}
		if src != nil {
			s := Source{Kind: SourceFile, Name: f.path, Line: f.line(key)}
			if len(prefix) == 2 {
				s.Profile = prefix[1]
			}
			src.set(fd.key, s)
		}
	}
	return errs
}

// lookup returns the value at key, or nil.
func (f *file) lookup(key toml.Key) any {
	var x any = f.raw
	for _, k := range key {
		table, ok := x.(map[string]any)
		if !ok {
			return nil
		}
		x = table[k]
	}
	return x
}

// profiles returns the names of the [servers.NAME] tables, sorted.
func (f *file) profiles() []string {
	var names []string
	if servers, ok := f.raw[serversKey].(map[string]any); ok {
		for name, t := range servers {
			if _, ok := t.(map[string]any); ok {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return names
}

// A keyError is a problem with one key of a config file.
type keyError struct {
	path string
	line int // 0 if not known
	msg  string
}

func (e keyError) Error() string {
	if e.line == 0 {
		return e.path + ": " + e.msg
	}
	return fmt.Sprintf("%s:%d: %s", e.path, e.line, e.msg)
}

func (f *file) errorAt(key toml.Key, msg string) keyError {
	return keyError{path: f.path, line: f.line(key), msg: msg}
}

// line returns the line on which key is defined, or 0. The TOML decoder
// keeps key positions to itself except in the ParseError of a value that
// fails to decode, so line decodes the file into a struct built to hold only
// key, as a probe that always fails.
func (f *file) line(key toml.Key) int {
	t := reflect.TypeFor[probe]()
	for i := len(key) - 1; i >= 0; i-- {
		fields := []reflect.StructField{{Name: "Key", Type: t, Tag: tomlTag(key[i])}}
		// The decoder also matches keys case-insensitively: give the
		// key's case variants fields of their own, so that only key
		// itself reaches the probe.
		if siblings, ok := f.lookup(key[:i]).(map[string]any); ok {
			for name := range siblings {
				if name != key[i] && strings.EqualFold(name, key[i]) {
					fields = append(fields, reflect.StructField{Name: fmt.Sprintf("Other%d", len(fields)), Type: reflect.TypeFor[any](), Tag: tomlTag(name)})
				}
			}
		}
		t = reflect.StructOf(fields)
	}
	_, err := toml.Decode(f.data, reflect.New(t).Interface())
	var pe toml.ParseError
	if errors.As(err, &pe) && pe.Message == errProbe.Error() {
		return pe.Position.Line
	}
	return 0
}

func tomlTag(name string) reflect.StructTag {
	return reflect.StructTag("toml:" + strconv.Quote(name))
}

// probe fails to decode any value; see file.line.
type probe struct{}

var errProbe = errors.New("hoist config: key position probe")

func (*probe) UnmarshalTOML(any) error { return errProbe }
