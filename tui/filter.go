package tui

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/list"
)

// fuzzyFilter is the browse list's filter. It matches as bubbles' default
// does (the letters typed, in order, anywhere in the name, case folded) and
// ranks the same kind of matches first (at the start of the name, after a
// separator, at a camel-case hump, next to each other), but it is built for
// big directories: a keystroke that extends the previous term searches only
// the previous matches, since a name that lacks "ab" cannot have "abc". On a
// directory of 100,000 entries the default filter took about 100 ms per
// keystroke (BenchmarkBrowseLargeDirectory).
type fuzzyFilter struct {
	term    string
	targets []string
	matched []int // indexes into targets that matched term, ascending
	scores  []int // the score of each match, reused between keystrokes
}

// Scores of one match; a name's score is their sum.
const (
	scoreFirstChar      = 10 // the term's first letter is the name's first
	scoreAfterSeparator = 20 // a letter right after '/', '-', '_', ' ' or '.'
	scoreCamelHump      = 20 // an upper-case letter after a lower-case one
	scoreAdjacent       = 5  // a letter right after the previous matched one
	scoreLeadingPenalty = -5 // per name letter before the first match…
	scoreLeadingFloor   = -15
)

// filter implements list.FilterFunc. On a big directory the first letter
// matches most names, so it allocates only what the list keeps (the ranks
// and their letter positions) and reuses the rest from the last keystroke.
func (f *fuzzyFilter) filter(term string, targets []string) []list.Rank {
	pattern := []rune(term)
	narrowing := f.extends(term, targets)
	candidates := len(targets)
	if narrowing {
		candidates = len(f.matched)
	}
	// Matches are written over the previous ones when narrowing: the k-th
	// match is never after the k-th candidate.
	matched := f.matched[:0]
	scores := f.scores[:0]
	// One backing array for every match's letter positions, len(pattern)
	// per match.
	positions := make([]int, 0, candidates*len(pattern))
	for c := range candidates {
		i := c
		if narrowing {
			i = f.matched[c]
		}
		var score int
		var ok bool
		positions, score, ok = matchName(pattern, targets[i], positions)
		if ok {
			matched = append(matched, i)
			scores = append(scores, score)
		}
	}
	f.term, f.targets, f.matched, f.scores = term, targets, matched, scores
	return rankByScore(matched, scores, positions, len(pattern))
}

// extends reports whether term extends the previous term over the same
// targets, so that only the previous matches need trying. The list builds a
// new slice of targets for every filtering, from the same items: the names
// are compared, not the slices.
func (f *fuzzyFilter) extends(term string, targets []string) bool {
	return f.targets != nil && strings.HasPrefix(term, f.term) && slices.Equal(f.targets, targets)
}

// rankByScore returns the ranks of the matches best first; equal scores keep
// the list's order (name, size or time). Scores span a few hundred values at
// most, so it counts them (a stable counting sort) instead of sorting.
func rankByScore(matched, scores, positions []int, perMatch int) []list.Rank {
	ranks := make([]list.Rank, len(matched))
	if len(matched) == 0 {
		return ranks
	}
	lowest, highest := slices.Min(scores), slices.Max(scores)
	// next[s] is where the next match of score highest-s goes.
	next := make([]int, highest-lowest+2)
	for _, s := range scores {
		next[highest-s+1]++
	}
	for s := 1; s < len(next); s++ {
		next[s] += next[s-1]
	}
	for k, i := range matched {
		slot := &next[highest-scores[k]]
		at := k * perMatch
		ranks[*slot] = list.Rank{Index: i, MatchedIndexes: positions[at : at+perMatch : at+perMatch]}
		*slot++
	}
	return ranks
}

// matchName matches pattern against name, appending the rune positions of
// the matched letters to positions. It takes each pattern letter at its
// first occurrence after the previous one; an ASCII letter is looked for
// with strings.IndexByte (both cases), the others rune by rune.
func matchName(pattern []rune, name string, positions []int) ([]int, int, bool) {
	start := len(positions)
	score := 0
	from, runeIndex := 0, 0 // where the search goes on, in bytes and runes
	prevMatched := -2
	for p, want := range pattern {
		at, size := nextLetter(name, from, want)
		if at < 0 {
			return positions[:start], 0, false
		}
		runeIndex += utf8.RuneCountInString(name[from:at])
		var prev rune
		if at > 0 {
			prev, _ = utf8.DecodeLastRuneInString(name[:at])
		}
		c, _ := utf8.DecodeRuneInString(name[at:])
		switch {
		case at == 0:
			if p == 0 {
				score += scoreFirstChar
			}
		case isSeparator(prev):
			score += scoreAfterSeparator
		case unicode.IsLower(prev) && unicode.IsUpper(c):
			score += scoreCamelHump
		}
		if prevMatched == runeIndex-1 {
			score += scoreAdjacent
		}
		if p == 0 {
			score += max(runeIndex*scoreLeadingPenalty, scoreLeadingFloor)
		}
		positions = append(positions, runeIndex)
		prevMatched = runeIndex
		from, runeIndex = at+size, runeIndex+1
	}
	return positions, score, true
}

// nextLetter returns the byte offset and size of the first letter of name
// at or after from that equals want ignoring case; -1 if there is none.
func nextLetter(name string, from int, want rune) (int, int) {
	if want < utf8.RuneSelf {
		lower, upper := want, want
		switch {
		case 'a' <= want && want <= 'z':
			upper -= 'a' - 'A'
		case 'A' <= want && want <= 'Z':
			lower += 'a' - 'A'
		}
		i := strings.IndexByte(name[from:], byte(lower))
		if upper != lower {
			if j := strings.IndexByte(name[from:], byte(upper)); j >= 0 && (i < 0 || j < i) {
				i = j
			}
		}
		if i < 0 {
			return -1, 0
		}
		return from + i, 1
	}
	for i, c := range name[from:] {
		if foldEqual(c, want) {
			return from + i, utf8.RuneLen(c)
		}
	}
	return -1, 0
}

// foldEqual reports whether two letters are equal ignoring case, quickly
// for ASCII.
func foldEqual(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

func isSeparator(r rune) bool {
	switch r {
	case '/', '-', '_', ' ', '.', '\\':
		return true
	}
	return false
}
