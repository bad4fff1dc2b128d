package config

import (
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// keyKind is what a key of the config file is to hoist.
type keyKind int

const (
	unknownKey keyKind = iota
	leafKey            // a setting
	tableKey           // a table holding settings
)

// classify says what key is and, for an unknown key, which known keys it may
// have been meant as.
func classify(key toml.Key) (keyKind, []toml.Key) {
	if key[0] != serversKey {
		return classifyIn(key, topLevelKeys())
	}
	if len(key) <= 2 { // [servers] and [servers.NAME]
		return tableKey, nil
	}
	kind, candidates := classifyIn(key[2:], fieldKeys(profileFields()))
	for i, c := range candidates {
		candidates[i] = append(toml.Key{serversKey, key[1]}, c...)
	}
	return kind, candidates
}

// classifyIn classifies key among the settings keys and the tables that hold
// them; the candidates are those keys and tables.
func classifyIn(key toml.Key, keys []toml.Key) (keyKind, []toml.Key) {
	kind := unknownKey
	var candidates []toml.Key
	for _, k := range keys {
		if slices.Equal(k, key) {
			return leafKey, nil
		}
		if len(key) < len(k) && slices.Equal(k[:len(key)], key) {
			kind = tableKey
		}
		for i := 1; i <= len(k); i++ {
			if !slices.ContainsFunc(candidates, func(c toml.Key) bool { return slices.Equal(c, k[:i]) }) {
				candidates = append(candidates, k[:i])
			}
		}
	}
	if kind == tableKey {
		return tableKey, nil
	}
	return kind, candidates
}

// coveredBy reports whether a proper prefix of key is in keys: a setting, or
// a key already reported, whose children need no report of their own.
func coveredBy(key toml.Key, keys map[string]bool) bool {
	for i := 1; i < len(key); i++ {
		if keys[key[:i].String()] {
			return true
		}
	}
	return false
}

// topLevelKeys returns every settings key of the file outside profiles.
func topLevelKeys() []toml.Key {
	keys := append(fieldKeys(clientFields), fieldKeys(serverFields)...)
	return append(keys, toml.Key{serversKey})
}

func fieldKeys[T any](fields []field[T]) []toml.Key {
	keys := make([]toml.Key, len(fields))
	for i, f := range fields {
		keys[i] = strings.Split(f.key, ".")
	}
	return keys
}

// profileFields returns the settings a [servers.NAME] profile may hold: the
// connection settings, not the UI's, and not the choice of profile.
func profileFields() []field[Client] {
	var fields []field[Client]
	for _, f := range clientFields {
		if f.group == groupClient && f.key != profileKey {
			fields = append(fields, f)
		}
	}
	return fields
}

// suggest returns the candidate closest to key, if it is close enough to be
// a likely typo or a setting put in the wrong table.
func suggest(key toml.Key, candidates []toml.Key) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		d := editDistance(key[len(key)-1], c[len(c)-1])
		if !slices.Equal(key[:len(key)-1], c[:len(c)-1]) {
			d++ // right name, wrong table
		}
		if d < bestDist {
			best, bestDist = c.String(), d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
