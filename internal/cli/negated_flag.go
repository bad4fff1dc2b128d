package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"
)

// negatedFlag is --no-NAME for a boolean flag --NAME: given, it sets --NAME
// to the opposite of its own value, so that both spellings go through the
// same setting (and its record of where the value came from).
type negatedFlag struct {
	flags *pflag.FlagSet
	name  string
	set   bool
}

// addNegatedFlag registers --no-NAME on flags for the registered boolean
// flag --NAME.
func addNegatedFlag(flags *pflag.FlagSet, name string) {
	f := flags.VarPF(&negatedFlag{flags: flags, name: name}, "no-"+name, "", fmt.Sprintf("the opposite of --%s", name))
	f.NoOptDefVal = "true"
}

func (n *negatedFlag) String() string   { return strconv.FormatBool(n.set) }
func (n *negatedFlag) Type() string     { return "bool" }
func (n *negatedFlag) IsBoolFlag() bool { return true }

func (n *negatedFlag) Set(text string) error {
	b, err := strconv.ParseBool(text)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	n.set = b
	return n.flags.Set(n.name, strconv.FormatBool(!b))
}
