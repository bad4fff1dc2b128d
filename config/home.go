package config

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hoist-dev/hoist/internal/xdg"
)

// ExpandHome returns path with a leading "~" (alone or before a path
// separator) replaced by the home directory ($HOME; getenv reads the
// environment). The loaders do this for every path setting; commands call it
// for path flags of their own.
func ExpandHome(path string, getenv func(string) string) string {
	return expandHome(path, xdg.UserHome(getenv))
}

// expandHome replaces a leading "~" of path, alone or followed by a path
// separator, with home. Other paths ("~alice/x", "a/~") and every path when
// home is unknown are returned as they are.
func expandHome(path, home string) string {
	if home == "" || !strings.HasPrefix(path, "~") {
		return path
	}
	if rest := path[1:]; rest == "" || os.IsPathSeparator(rest[0]) {
		return filepath.Join(home, rest)
	}
	return path
}

// expandPaths expands a leading "~" in every path setting of dst, whichever
// layer set it: the config file, the environment or a flag.
func expandPaths[T any](fields []field[T], dst *T, home string) {
	for _, f := range fields {
		if v, ok := f.bind(dst).(pathValue); ok {
			*v.p = expandHome(*v.p, home)
		}
	}
}
