package cli

import (
	"fmt"
	"runtime/debug"
)

// Build says which hoist this is. The release build sets it through
// -ldflags on package main.
type Build struct {
	Version string // "1.2.3"
	Commit  string // the VCS revision
	Date    string // when it was built, or committed
}

// String is the version as `hoist --version` prints it after "hoist ":
// "1.2.3 (commit abc1234, built 2026-01-01T00:00:00Z)".
func (b Build) String() string {
	return fmt.Sprintf("%s (commit %s, built %s)", b.Version, b.Commit, b.Date)
}

// orRecorded fills in the fields b lacks, as in a binary made by `go build`
// or `go install` rather than the release build, from what the toolchain
// recorded in it: the module's version (a tag, or a pseudo-version) and the
// VCS revision and commit time. What neither knows reads "dev", "none" and
// "unknown".
func (b Build) orRecorded(read func() (*debug.BuildInfo, bool)) Build {
	if b.Version != "" && b.Commit != "" && b.Date != "" {
		return b
	}
	var version, revision, when string
	modified := false
	if info, ok := read(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			version = v
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if revision != "" && modified {
		revision += "-dirty"
	}
	b.Version = first(b.Version, version, "dev")
	b.Commit = first(b.Commit, revision, "none")
	b.Date = first(b.Date, when, "unknown")
	return b
}

// first returns the first of texts that is not empty.
func first(texts ...string) string {
	for _, t := range texts {
		if t != "" {
			return t
		}
	}
	return ""
}
