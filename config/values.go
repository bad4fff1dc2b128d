package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// A value is the typed storage of one setting. Set parses the text of an
// environment variable or a flag, decode takes a value decoded from the TOML
// file, and toml writes the value back as a TOML literal, secrets redacted.
type value interface {
	Set(text string) error
	decode(v any) error
	toml() string
}

type stringValue struct{ p *string }

func (v stringValue) Set(s string) error { *v.p = s; return nil }
func (v stringValue) toml() string       { return strconv.Quote(*v.p) }
func (v stringValue) decode(x any) error {
	s, ok := x.(string)
	if !ok {
		return errors.New("want a string")
	}
	return v.Set(s)
}

// pathValue is a file or directory name. A leading "~" stands for the home
// directory: the loaders expand it once every layer is applied (expandPaths).
type pathValue struct{ p *string }

func (v pathValue) Set(s string) error { *v.p = s; return nil }
func (v pathValue) toml() string       { return strconv.Quote(*v.p) }
func (v pathValue) decode(x any) error {
	s, ok := x.(string)
	if !ok {
		return errors.New("want a string")
	}
	return v.Set(s)
}

// secretValue holds a credential; toml shows only whether it is set.
type secretValue struct{ p *Secret }

func (v secretValue) Set(s string) error { *v.p = Secret(s); return nil }
func (v secretValue) toml() string       { return strconv.Quote(v.p.String()) }
func (v secretValue) decode(x any) error {
	s, ok := x.(string)
	if !ok {
		return errors.New("want a string")
	}
	return v.Set(s)
}

// choiceValue is a string restricted to a few words.
type choiceValue struct {
	p       *string
	choices []string
}

func (v choiceValue) toml() string { return strconv.Quote(*v.p) }
func (v choiceValue) Set(s string) error {
	for _, c := range v.choices {
		if s == c {
			*v.p = s
			return nil
		}
	}
	return fmt.Errorf("want one of %s", strings.Join(v.choices, ", "))
}
func (v choiceValue) decode(x any) error {
	s, ok := x.(string)
	if !ok {
		return fmt.Errorf("want one of %s", strings.Join(v.choices, ", "))
	}
	return v.Set(s)
}

// intValue is a non-negative count.
type intValue struct{ p *int }

func (v intValue) toml() string { return strconv.Itoa(*v.p) }
func (v intValue) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 0)
	if err != nil || n < 0 {
		return errors.New("want a whole number, 0 or more")
	}
	*v.p = int(n)
	return nil
}
func (v intValue) decode(x any) error {
	n, ok := x.(int64)
	if !ok {
		return errors.New("want a whole number, 0 or more")
	}
	if n < 0 || n > math.MaxInt {
		return errors.New("want a whole number, 0 or more")
	}
	*v.p = int(n)
	return nil
}

type boolValue struct{ p *bool }

func (v boolValue) toml() string { return strconv.FormatBool(*v.p) }
func (v boolValue) Set(s string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return errors.New("want true or false")
	}
	*v.p = b
	return nil
}
func (v boolValue) decode(x any) error {
	b, ok := x.(bool)
	if !ok {
		return errors.New("want true or false")
	}
	*v.p = b
	return nil
}

// sizeValue is a byte count, written as an integer or as a string with a
// unit ("64MiB").
type sizeValue[T int | int64] struct{ p *T }

func (v sizeValue[T]) toml() string {
	if *v.p == 0 {
		return "0"
	}
	return strconv.Quote(settingSize(int64(*v.p)))
}
func (v sizeValue[T]) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	return v.setBytes(n)
}
func (v sizeValue[T]) decode(x any) error {
	switch x := x.(type) {
	case int64:
		if x < 0 {
			return errors.New("want a size of 0 or more")
		}
		return v.setBytes(x)
	case string:
		return v.Set(x)
	}
	return errors.New(sizeSyntax)
}
func (v sizeValue[T]) setBytes(n int64) error {
	if int64(T(n)) != n {
		return errors.New("too large")
	}
	*v.p = T(n)
	return nil
}

const durationSyntax = `want a duration: a string of numbers with units (ms, s, m, h), like "30s" or "1h30m"`

// durationValue is a Go duration ("250ms", "1h30m"), never negative.
type durationValue struct{ p *time.Duration }

func (v durationValue) toml() string { return strconv.Quote(v.p.String()) }
func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return errors.New(durationSyntax)
	}
	*v.p = d
	return nil
}
func (v durationValue) decode(x any) error {
	s, ok := x.(string)
	if !ok {
		return errors.New(durationSyntax)
	}
	return v.Set(s)
}

// listValue is a list of strings. As text (environment, flags) its items are
// separated by commas.
type listValue struct{ p *[]string }

func (v listValue) Set(s string) error {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	*v.p = items
	return nil
}
func (v listValue) toml() string {
	quoted := make([]string, len(*v.p))
	for i, s := range *v.p {
		quoted[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
func (v listValue) decode(x any) error {
	arr, ok := x.([]any)
	if !ok {
		return errors.New("want an array of strings")
	}
	var items []string
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return errors.New("want an array of strings")
		}
		items = append(items, s)
	}
	*v.p = items
	return nil
}

// literal writes a decoded TOML value back, shortened, for error messages.
func literal(x any) string {
	switch x := x.(type) {
	case string:
		if len(x) > 40 {
			x = x[:37] + "..."
		}
		return strconv.Quote(x)
	case int64, float64, bool:
		return fmt.Sprint(x)
	case []any:
		return "[...]"
	case map[string]any:
		return "{...}"
	case []map[string]any:
		return "[[...]]"
	case time.Time:
		switch x.Location().String() { // the decoder's names for local dates and times
		case "date-local":
			return x.Format(time.DateOnly)
		case "time-local":
			return x.Format(time.TimeOnly)
		case "datetime-local":
			return x.Format("2006-01-02T15:04:05")
		}
		return x.Format(time.RFC3339)
	}
	return fmt.Sprint(x)
}
