package chaos

import (
	"fmt"
	"strings"
	"time"
)

// Kind is one kind of fault.
type Kind int

// The kinds of fault, in the order specs and counts list them.
const (
	// AuthBusy: an AUTHENTICATION is answered busy.
	AuthBusy Kind = iota
	// Busy: a TRANSFER is answered busy and not stored.
	Busy
	// Corrupt: a TRANSFER is answered corrupt and not stored.
	Corrupt
	// Drop: the connection is cut part-way through a TRANSFER.
	Drop
	// Stall: the server stops reading part-way through a TRANSFER, then hangs up.
	Stall
	// Delay: the Ok to a durable TRANSFER is held back.
	Delay
)

// kinds lists every Kind in order.
var kinds = []Kind{AuthBusy, Busy, Corrupt, Drop, Stall, Delay}

var kindNamesList = [...]string{"auth-busy", "busy", "corrupt", "drop", "stall", "delay"}

// String returns the kind's name as a spec writes it.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNamesList) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNamesList[k]
}

func kindByName(name string) (Kind, bool) {
	for _, k := range kinds {
		if k.String() == name {
			return k, true
		}
	}
	return 0, false
}

// kindNames lists the kinds for error messages: "auth-busy, busy, ...".
func kindNames() string { return strings.Join(kindNamesList[:], ", ") }

func (k Kind) defaultDuration() time.Duration {
	switch k {
	case Stall:
		return DefaultStallFor
	case Delay:
		return DefaultDelayFor
	}
	return 0
}

// Counts is how many faults of each kind were injected.
type Counts struct {
	AuthBusy uint64
	Busy     uint64
	Corrupt  uint64
	Drop     uint64
	Stall    uint64
	Delay    uint64
}

// Of returns the count of kind k.
func (c Counts) Of(k Kind) uint64 {
	if n := c.count(k); n != nil {
		return *n
	}
	return 0
}

// count returns the field that holds k's count, or nil for no kind.
func (c *Counts) count(k Kind) *uint64 {
	switch k {
	case AuthBusy:
		return &c.AuthBusy
	case Busy:
		return &c.Busy
	case Corrupt:
		return &c.Corrupt
	case Drop:
		return &c.Drop
	case Stall:
		return &c.Stall
	case Delay:
		return &c.Delay
	}
	return nil
}

// Total is the number of faults injected, of every kind.
func (c Counts) Total() uint64 {
	var n uint64
	for _, k := range kinds {
		n += c.Of(k)
	}
	return n
}

// String lists the counts as "auth-busy=1 busy=0 ...".
func (c Counts) String() string {
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s=%d", k, c.Of(k))
	}
	return strings.Join(parts, " ")
}
