package tui

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Lines replayed on attaching to the agent go where their time puts them:
// two adopted jobs' old notes read as one timeline before the lines that
// adopted them (before, each job's old lines came after its own "started
// elsewhere" line, so the first job's lines all came before the second's,
// whatever their times). Lines of the same time keep their order, a line
// without a time goes at the end, and live lines are appended as they come.
func TestReplayedLinesGoInTimeOrder(t *testing.T) {
	base := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	var l eventLog
	l.add(logLine{at: at(10), text: "adopted job 1"})
	l.addReplayed(logLine{at: at(2), text: "job 1 note"})
	l.addReplayed(logLine{at: at(5), text: "job 1 skipped"})
	l.add(logLine{at: at(11), text: "adopted job 2"})
	l.addReplayed(logLine{at: at(3), text: "job 2 note"})
	l.addReplayed(logLine{at: at(5), text: "job 2 skipped"})
	l.addReplayed(logLine{text: "no time"})
	l.add(logLine{at: at(9), text: "live, out of order"})
	want := []string{"job 1 note", "job 2 note", "job 1 skipped", "job 2 skipped", "adopted job 1", "adopted job 2", "no time", "live, out of order"}
	if got := logTexts(l); !slices.Equal(got, want) {
		t.Fatalf("log order %q\nwant %q", got, want)
	}
}

// A full log drops its oldest tenth to make room, wherever the new line goes.
func TestAFullLogDropsItsOldestLines(t *testing.T) {
	base := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	var l eventLog
	for i := range maxLogLines {
		l.add(logLine{at: base.Add(time.Duration(i+10) * time.Second), text: fmt.Sprint(i)})
	}
	l.addReplayed(logLine{at: base.Add(500*time.Second + time.Millisecond), text: "replayed"})
	got := logTexts(l)
	if len(got) != maxLogLines-maxLogLines/10+1 || got[0] != fmt.Sprint(maxLogLines/10) {
		t.Fatalf("%d lines from %q, want %d from %q", len(got), got[0], maxLogLines-maxLogLines/10+1, fmt.Sprint(maxLogLines/10))
	}
	if i := slices.Index(got, "replayed"); i < 1 || got[i-1] != "490" || got[i+1] != "491" {
		t.Fatalf("the replayed line is at %d of %d, want between 490 and 491", i, len(got))
	}
}

func logTexts(l eventLog) []string {
	var out []string
	for _, line := range l.lines {
		out = append(out, line.text)
	}
	return out
}
