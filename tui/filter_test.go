package tui

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/charmbracelet/bubbles/list"
)

func rankedNames(ranks []list.Rank, targets []string) []string {
	var out []string
	for _, r := range ranks {
		out = append(out, targets[r.Index])
	}
	return out
}

func TestFuzzyFilterMatchesLettersInOrderIgnoringCase(t *testing.T) {
	targets := []string{"notes.txt", "NOTES-old.md", "tones.txt", "readme", "Ünïcode-nötes"}
	var f fuzzyFilter
	got := rankedNames(f.filter("nts", targets), targets)
	slices.Sort(got)
	want := []string{"NOTES-old.md", "notes.txt", "Ünïcode-nötes"}
	if !slices.Equal(got, want) {
		t.Fatalf("filter(nts) = %q, want %q", got, want)
	}
	if r := f.filter("ÜN", targets); len(r) != 1 || targets[r[0].Index] != "Ünïcode-nötes" {
		t.Fatalf("filter(ÜN) = %v: upper case must find lower and non-ASCII letters", r)
	}
}

func TestFuzzyFilterRanksStartsAndWordsFirst(t *testing.T) {
	targets := []string{"xxbxxxaxr", "my-bar.txt", "bar.txt", "abxar"}
	var f fuzzyFilter
	got := rankedNames(f.filter("bar", targets), targets)
	want := []string{"bar.txt", "my-bar.txt", "abxar", "xxbxxxaxr"}
	if !slices.Equal(got, want) {
		t.Fatalf("ranking = %q, want %q", got, want)
	}
}

func TestFuzzyFilterReportsRunePositions(t *testing.T) {
	targets := []string{"ééa-b"}
	var f fuzzyFilter
	r := f.filter("ab", targets)
	if len(r) != 1 || !slices.Equal(r[0].MatchedIndexes, []int{2, 4}) {
		t.Fatalf("ranks %v, want rune positions [2 4]", r)
	}
}

// Typing letter by letter reuses the last matches; the answer must be what
// a filter with no memory gives, and a new directory must not see the old
// one's matches.
func TestFuzzyFilterNarrowingEqualsAFreshSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	targets := make([]string, 3000)
	for i := range targets {
		targets[i] = fmt.Sprintf("%c%c-photo-%04d.JPG", 'a'+rng.IntN(26), 'A'+rng.IntN(26), rng.IntN(10000))
	}
	for _, term := range []string{"p7", "a-3", "xj", "O01", "zzz"} {
		var typing fuzzyFilter
		for n := 1; n <= len(term); n++ {
			got := typing.filter(term[:n], slices.Clone(targets))
			var fresh fuzzyFilter
			want := fresh.filter(term[:n], targets)
			if !slices.EqualFunc(got, want, func(a, b list.Rank) bool {
				return a.Index == b.Index && slices.Equal(a.MatchedIndexes, b.MatchedIndexes)
			}) {
				t.Fatalf("term %q: typed letter by letter gives %d matches, a fresh search %d", term[:n], len(got), len(want))
			}
		}
		// Other names with the same term extended: the old matches do not apply.
		other := []string{term + "!", "nothing"}
		if got := typing.filter(term+"!", other); len(got) != 1 || got[0].Index != 0 {
			t.Fatalf("after the directory changed, filter(%q) = %v", term+"!", got)
		}
	}
}

// The counting sort must order as a stable sort by descending score does.
func TestRankByScoreIsAStableSortByScore(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 1000} {
		matched := make([]int, n)
		scores := make([]int, n)
		positions := make([]int, 2*n)
		for k := range matched {
			matched[k] = 3 * k
			scores[k] = rng.IntN(60) - 15
			positions[2*k], positions[2*k+1] = k, k+1
		}
		got := rankByScore(matched, scores, positions, 2)
		order := make([]int, n)
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(a, b int) int { return scores[b] - scores[a] })
		if len(got) != n {
			t.Fatalf("%d matches gave %d ranks", n, len(got))
		}
		for slot, k := range order {
			if got[slot].Index != matched[k] || !slices.Equal(got[slot].MatchedIndexes, []int{k, k + 1}) {
				t.Fatalf("n=%d: rank %d is %+v, want index %d positions [%d %d]", n, slot, got[slot], matched[k], k, k+1)
			}
		}
	}
}

func BenchmarkFuzzyFilterFirstLetter(b *testing.B) {
	targets := make([]string, 100_000)
	for i := range targets {
		targets[i] = fmt.Sprintf("photo-%06d.jpg", i)
	}
	for b.Loop() {
		var f fuzzyFilter
		if len(f.filter("7", targets)) == 0 {
			b.Fatal("no match")
		}
	}
}
