package config

import (
	"fmt"

	"github.com/BurntSushi/toml"
)

// SourceKind is the layer a setting's value came from.
type SourceKind int

// Layers, from lowest to highest precedence.
const (
	SourceDefault SourceKind = iota
	SourceFile
	SourceEnv
	SourceFlag
)

// Source says where one setting's value came from.
type Source struct {
	Kind SourceKind
	// Name is the file's path, the environment variable, or the flag.
	Name string
	// Profile names the [servers.NAME] table a value from the file is in;
	// empty for the top level.
	Profile string
	// Line is the line in the file; 0 if not known.
	Line int
	// Ignored says why the value is not used, if it is not.
	Ignored string
}

// String describes the source: "default", "/home/u/.config/hoist/config.toml:4",
// "env HOIST_TOKEN", "flag --server".
func (s Source) String() string {
	var text string
	switch s.Kind {
	case SourceDefault:
		text = "default"
	case SourceFile:
		text = s.Name
		if s.Line > 0 {
			text = fmt.Sprintf("%s:%d", s.Name, s.Line)
		}
		if s.Profile != "" {
			text += " [" + toml.Key{serversKey, s.Profile}.String() + "]"
		}
	case SourceEnv:
		text = "env " + s.Name
	case SourceFlag:
		text = "flag --" + s.Name
	}
	if s.Ignored != "" {
		text += " (ignored: " + s.Ignored + ")"
	}
	return text
}

// precedence orders sources for settings that exclude each other: a value
// from a profile outranks one from the top level of the file.
func (s Source) precedence() int {
	p := 2 * int(s.Kind)
	if s.Kind == SourceFile && s.Profile != "" {
		p++
	}
	return p
}

// Sources records where the settings came from.
type Sources struct {
	// File is the config file consulted, "" if there was none to consult.
	File string
	// FileFound reports whether File existed and was read.
	FileFound bool
	// Keys maps each setting's key (as in the file, outside profiles:
	// "chunk_size", "serve.limits.quota") to its source.
	Keys map[string]Source
}

// Of returns the source of the setting with the given key.
func (s *Sources) Of(key string) Source { return s.Keys[key] }

func (s *Sources) set(key string, src Source) {
	if s.Keys == nil {
		s.Keys = map[string]Source{}
	}
	s.Keys[key] = src
}
