// Package chaos makes a hoist server fail on purpose, so that client retries
// can be watched and rehearsed. It is a testing aid, off unless asked for.
//
// A Spec says how often each kind of fault happens; Faults turns a Spec into
// decisions, seeded so that a run can be repeated, and counts what it
// injected. The server wraps each connection with Faults.Wrap and consults the
// returned *Conn on every AUTHENTICATION, before storing every chunk and
// before every acknowledgement.
//
// Chaos never breaks the protocol's promises: a refused chunk is not stored, an
// Ok is still only sent once the chunk is durable, and a dropped connection
// loses nothing the server acknowledged. It also keeps faults apart on one
// connection (see Conn), so that every fault it counts is one a client sees.
package chaos

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DemoSpec is the lively spec `hoist demo --chaos` runs with: every kind of
// fault, often enough to be seen on a demo upload of a few files, rarely enough
// that the upload still finishes quickly.
const DemoSpec = "auth-busy=0.2,busy=0.03,corrupt=0.08,drop=0.02,stall=0.005:6s,delay=0.1:300ms"

// Default durations for the faults that take one, when a term names none.
const (
	DefaultStallFor = 10 * time.Second
	DefaultDelayFor = 200 * time.Millisecond
)

// MaxDuration bounds a stall or a delay: a longer one is surely a typo.
const MaxDuration = 10 * time.Minute

// Spec is a parsed chaos spec: how often each kind of fault happens.
//
// Rates are probabilities in [0, 1]: AuthBusy per AUTHENTICATION; Busy,
// Corrupt, Drop and Stall per TRANSFER; Delay per acknowledged TRANSFER. The
// zero Spec injects nothing.
type Spec struct {
	// AuthBusy refuses an AUTHENTICATION with busy.
	AuthBusy float64
	// Busy answers a TRANSFER with busy and stores nothing.
	Busy float64
	// Corrupt answers a TRANSFER with corrupt and stores nothing.
	Corrupt float64
	// Drop cuts the connection part-way through a TRANSFER.
	Drop float64
	// Stall stops reading part-way through a TRANSFER for StallFor, so that
	// the client's deadline fires, then hangs up.
	Stall    float64
	StallFor time.Duration
	// Delay holds back the Ok to a durable TRANSFER for DelayFor.
	Delay    float64
	DelayFor time.Duration
	// Seed makes decisions repeatable. Without one (Seeded false) Faults
	// picks a seed and logs it.
	Seed   uint64
	Seeded bool
}

// Enabled reports whether the spec injects any fault at all.
func (s Spec) Enabled() bool {
	for _, k := range kinds {
		if *s.rate(k) > 0 {
			return true
		}
	}
	return false
}

// rate returns the field that holds k's rate.
func (s *Spec) rate(k Kind) *float64 {
	switch k {
	case AuthBusy:
		return &s.AuthBusy
	case Busy:
		return &s.Busy
	case Corrupt:
		return &s.Corrupt
	case Drop:
		return &s.Drop
	case Stall:
		return &s.Stall
	case Delay:
		return &s.Delay
	}
	panic(fmt.Sprintf("chaos: unknown kind %d", int(k)))
}

// duration returns the field that holds k's duration, or nil when k takes none.
func (s *Spec) duration(k Kind) *time.Duration {
	switch k {
	case Stall:
		return &s.StallFor
	case Delay:
		return &s.DelayFor
	}
	return nil
}

// String returns the spec in canonical form: the faults in a fixed order,
// each with its duration, then the seed. Parse(s.String()) gives s back. The
// zero Spec is "off".
func (s Spec) String() string {
	var terms []string
	for _, k := range kinds {
		r := *s.rate(k)
		if r == 0 {
			continue
		}
		t := k.String() + "=" + strconv.FormatFloat(r, 'g', -1, 64)
		if d := s.duration(k); d != nil {
			t += ":" + d.String()
		}
		terms = append(terms, t)
	}
	if s.Seeded {
		terms = append(terms, "seed="+strconv.FormatUint(s.Seed, 10))
	}
	if len(terms) == 0 {
		return "off"
	}
	return strings.Join(terms, ",")
}

// Parse reads a spec: comma-separated terms, each one of
//
//	KIND=RATE             auth-busy, busy, corrupt, drop
//	KIND=RATE[:DURATION]  stall (default 10s), delay (default 200ms)
//	seed=N                a whole number; the same seed repeats a run
//	demo                  DemoSpec; only as the first term, later terms override it
//
// RATE is a probability, 0.05 or 5%. DURATION is a Go duration (500ms, 5s).
// Each kind may appear once. "" and "off" mean no chaos. Errors name the
// offending term.
func Parse(text string) (Spec, error) {
	var s Spec
	text = strings.TrimSpace(text)
	if text == "" || text == "off" {
		return s, nil
	}
	seen := make(map[string]bool)
	for i, raw := range strings.Split(text, ",") {
		term := strings.TrimSpace(raw)
		if term == "demo" {
			if i > 0 {
				return Spec{}, termError(term, `"demo" must be the first term; put overrides after it`)
			}
			var err error
			if s, err = Parse(DemoSpec); err != nil {
				return Spec{}, fmt.Errorf("chaos: DemoSpec is broken: %w", err)
			}
			continue
		}
		if err := s.parseTerm(term, seen); err != nil {
			return Spec{}, err
		}
	}
	if err := s.validate(); err != nil {
		return Spec{}, err
	}
	// A fault that never happens has no duration, as String writes it.
	for _, k := range kinds {
		if d := s.duration(k); d != nil && *s.rate(k) == 0 {
			*d = 0
		}
	}
	return s, nil
}

// MustParse is Parse for specs written in code; it panics on a bad spec.
func MustParse(text string) Spec {
	s, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return s
}

func termError(term, msg string) error {
	return fmt.Errorf("chaos spec: term %q: %s", term, msg)
}

// parseTerm applies one NAME=VALUE term to s.
func (s *Spec) parseTerm(term string, seen map[string]bool) error {
	if term == "" {
		return errors.New("chaos spec: empty term (a stray comma?)")
	}
	name, value, ok := strings.Cut(term, "=")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok {
		return termError(term, "want NAME=VALUE, as in busy=0.05")
	}
	if seen[name] {
		return termError(term, name+" is given twice")
	}
	seen[name] = true
	if name == "seed" {
		seed, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			return termError(term, "seed must be a whole number from 0 to 18446744073709551615")
		}
		s.Seed, s.Seeded = seed, true
		return nil
	}
	k, ok := kindByName(name)
	if !ok {
		return termError(term, fmt.Sprintf("unknown fault %q (want %s, seed or demo)", name, kindNames()))
	}
	rateText, durText, hasDur := strings.Cut(value, ":")
	rate, err := parseRate(rateText)
	if err != nil {
		return termError(term, err.Error())
	}
	*s.rate(k) = rate
	d := s.duration(k)
	switch {
	case d == nil && hasDur:
		return termError(term, name+" takes no duration")
	case d == nil:
	case !hasDur:
		*d = k.defaultDuration()
	default:
		if *d, err = parseDuration(durText); err != nil {
			return termError(term, err.Error())
		}
	}
	return nil
}

// parseRate reads a probability written as 0.05 or 5%.
func parseRate(text string) (float64, error) {
	num, percent := strings.CutSuffix(text, "%")
	r, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("rate %q is not a number (write 0.05 or 5%%)", text)
	}
	if percent {
		r /= 100
	}
	if !(r >= 0 && r <= 1) {
		return 0, fmt.Errorf("rate %s is outside 0..1 (0%%..100%%)", text)
	}
	return r, nil
}

func parseDuration(text string) (time.Duration, error) {
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("duration %q is not a duration (write 200ms or 5s)", text)
	}
	if d <= 0 || d > MaxDuration {
		return 0, fmt.Errorf("duration %s is outside 1ns..%s", text, MaxDuration)
	}
	return d, nil
}

// validate checks what no single term can: a TRANSFER gets at most one of
// busy and corrupt, and at most one of drop and stall, so each pair is drawn
// from one roll and must not add up to more than certainty.
func (s Spec) validate() error {
	pairs := [][2]Kind{{Busy, Corrupt}, {Drop, Stall}}
	for _, p := range pairs {
		a, b := *s.rate(p[0]), *s.rate(p[1])
		if a+b > 1 {
			return fmt.Errorf("chaos spec: %s and %s add up to %s; a TRANSFER gets at most one of them, so their sum must be at most 1",
				p[0], p[1], strconv.FormatFloat(a+b, 'g', 4, 64))
		}
	}
	return nil
}
