package chaos

import (
	"testing"
	"time"
)

func TestParseGood(t *testing.T) {
	t.Parallel()
	demo := MustParse(DemoSpec)
	demoSeeded := demo
	demoSeeded.Busy, demoSeeded.Seed, demoSeeded.Seeded = 0, 7, true
	cases := []struct {
		in        string
		want      Spec
		canonical string
	}{
		{"", Spec{}, "off"},
		{"off", Spec{}, "off"},
		{"busy=0.05", Spec{Busy: 0.05}, "busy=0.05"},
		{"busy=5%", Spec{Busy: 0.05}, "busy=0.05"},
		{" corrupt = 0.1 , busy=0.05 ", Spec{Busy: 0.05, Corrupt: 0.1}, "busy=0.05,corrupt=0.1"},
		{"auth-busy=1", Spec{AuthBusy: 1}, "auth-busy=1"},
		{"stall=0.01", Spec{Stall: 0.01, StallFor: 10 * time.Second}, "stall=0.01:10s"},
		{"delay=12.5%", Spec{Delay: 0.125, DelayFor: 200 * time.Millisecond}, "delay=0.125:200ms"},
		{"drop=0", Spec{}, "off"},
		{"seed=42", Spec{Seed: 42, Seeded: true}, "seed=42"},
		{
			"busy=0.05,corrupt=0.05,drop=0.01,stall=0.01:5s,delay=0.1:200ms,auth-busy=0.2,seed=42",
			Spec{AuthBusy: 0.2, Busy: 0.05, Corrupt: 0.05, Drop: 0.01, Stall: 0.01, StallFor: 5 * time.Second,
				Delay: 0.1, DelayFor: 200 * time.Millisecond, Seed: 42, Seeded: true},
			"auth-busy=0.2,busy=0.05,corrupt=0.05,drop=0.01,stall=0.01:5s,delay=0.1:200ms,seed=42",
		},
		{"busy=0.5,corrupt=0.5,drop=1", Spec{Busy: 0.5, Corrupt: 0.5, Drop: 1}, "busy=0.5,corrupt=0.5,drop=1"},
		{"stall=0:3s,delay=0%", Spec{}, "off"},
		{"demo", demo, DemoSpec},
		{"demo, busy=0, seed=7", demoSeeded, ""},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %+v, want %+v", c.in, got, c.want)
		}
		if c.canonical != "" && got.String() != c.canonical {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got.String(), c.canonical)
		}
		back, err := Parse(got.String())
		if err != nil || back != got {
			t.Errorf("round trip of %q through %q: %+v, %v", c.in, got.String(), back, err)
		}
	}
}

func TestParseBad(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"busy", `chaos spec: term "busy": want NAME=VALUE, as in busy=0.05`},
		{"bussy=0.1", `chaos spec: term "bussy=0.1": unknown fault "bussy" (want auth-busy, busy, corrupt, drop, stall, delay, seed or demo)`},
		{"busy=2", `chaos spec: term "busy=2": rate 2 is outside 0..1 (0%..100%)`},
		{"busy=-0.1", `chaos spec: term "busy=-0.1": rate -0.1 is outside 0..1 (0%..100%)`},
		{"busy=150%", `chaos spec: term "busy=150%": rate 150% is outside 0..1 (0%..100%)`},
		{"busy=NaN", `chaos spec: term "busy=NaN": rate NaN is outside 0..1 (0%..100%)`},
		{"busy=often", `chaos spec: term "busy=often": rate "often" is not a number (write 0.05 or 5%)`},
		{"busy=", `chaos spec: term "busy=": rate "" is not a number (write 0.05 or 5%)`},
		{"drop=1:1m30s", `chaos spec: term "drop=1:1m30s": drop takes no duration`},
		{"stall=0.1:5", `chaos spec: term "stall=0.1:5": duration "5" is not a duration (write 200ms or 5s)`},
		{"stall=0.1:-1s", `chaos spec: term "stall=0.1:-1s": duration -1s is outside 1ns..10m0s`},
		{"delay=0.1:11m", `chaos spec: term "delay=0.1:11m": duration 11m is outside 1ns..10m0s`},
		{"busy=0.1,busy=0.2", `chaos spec: term "busy=0.2": busy is given twice`},
		{"busy=0.1,,corrupt=0.1", `chaos spec: empty term (a stray comma?)`},
		{"busy=0.1,", `chaos spec: empty term (a stray comma?)`},
		{"seed=-1", `chaos spec: term "seed=-1": seed must be a whole number from 0 to 18446744073709551615`},
		{"seed=0x10", `chaos spec: term "seed=0x10": seed must be a whole number from 0 to 18446744073709551615`},
		{"busy=0.6,corrupt=0.5", `chaos spec: busy and corrupt add up to 1.1; a TRANSFER gets at most one of them, so their sum must be at most 1`},
		{"drop=70%,stall=40%", `chaos spec: drop and stall add up to 1.1; a TRANSFER gets at most one of them, so their sum must be at most 1`},
		{"busy=0.1,demo", `chaos spec: term "demo": "demo" must be the first term; put overrides after it`},
	}
	for _, c := range cases {
		s, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want error %q", c.in, s, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("Parse(%q) error:\n got  %s\n want %s", c.in, err, c.want)
		}
	}
}

func TestDemoSpecIsLively(t *testing.T) {
	t.Parallel()
	s := MustParse(DemoSpec)
	for _, k := range kinds {
		if *s.rate(k) == 0 {
			t.Errorf("DemoSpec leaves out %s", k)
		}
	}
	if s.Seeded {
		t.Error("DemoSpec fixes a seed: every demo would fail the same way")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(DemoSpec)
	f.Add("busy=5%,seed=18446744073709551615")
	f.Add("stall=1:10m,delay=0:1ns")
	f.Add("demo,corrupt=1")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			return
		}
		back, err := Parse(s.String())
		if err != nil || back != s {
			t.Fatalf("%q parsed to %+v; its String %q gives %+v, %v", in, s, s.String(), back, err)
		}
	})
}
