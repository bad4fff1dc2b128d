package tui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/internal/units"
)

// rateSteps are the rate limits the faster and slower keys step through,
// in bytes per second; past the last comes no limit at all.
var rateSteps = []int64{256 << 10, 1 << 20, 2 << 20, 5 << 20, 10 << 20, 20 << 20, 50 << 20}

// fasterRate is the next limit above cur: the next step, or none (0) past
// the last. No limit stays none.
func fasterRate(cur int64) int64 {
	if cur == 0 {
		return 0
	}
	for _, s := range rateSteps {
		if s > cur {
			return s
		}
	}
	return 0
}

// slowerRate is the next limit below cur: the last step from none, else
// the step below, never below the first.
func slowerRate(cur int64) int64 {
	if cur == 0 {
		return rateSteps[len(rateSteps)-1]
	}
	for i := len(rateSteps) - 1; i >= 0; i-- {
		if rateSteps[i] < cur {
			return rateSteps[i]
		}
	}
	return rateSteps[0]
}

// rateText names a limit for the header and notices.
func rateText(limit int64) string {
	if limit <= 0 {
		return "no rate limit"
	}
	return "limit " + units.FormatRate(float64(limit))
}

// rateLimitMsg carries the engine's rate limit, read at start.
type rateLimitMsg int64

func loadRateLimit(up Uploader) tea.Cmd {
	return func() tea.Msg { return rateLimitMsg(up.RateLimit()) }
}

// changeRate sets the limit to limit at once in the UI and in the engine.
func (m *Model) changeRate(limit int64) tea.Cmd {
	if limit == m.rateLimit {
		m.notice = rateText(limit) + " already"
		return nil
	}
	m.rateLimit = limit
	m.notice = rateText(limit) + " (+ and - change it)"
	up := m.up
	return func() tea.Msg {
		if err := up.SetRateLimit(limit); err != nil {
			return ErrorMsg{err}
		}
		return nil
	}
}
